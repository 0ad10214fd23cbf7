import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../lib/config/index.js';
import { assertRefused, yamlFile } from './helpers.js';

describe('the dashboard setting', () => {
  it('is on by default', () => {
    assert.equal(loadConfig([], {}).dashboard, true);
  });

  it('--dashboard=false turns it off', () => {
    assert.equal(loadConfig(['--dashboard=false'], {}).dashboard, false);
  });

  it('KVD_DASHBOARD=false turns it off', () => {
    assert.equal(loadConfig([], { KVD_DASHBOARD: 'false' }).dashboard, false);
  });

  it('YAML dashboard: false turns it off, and YAML 1.1 "no" does too', () => {
    assert.equal(loadConfig(['--config-file', yamlFile('off.yaml', 'dashboard: false\n')], {}).dashboard, false);
    assert.equal(loadConfig(['--config-file', yamlFile('no.yaml', 'dashboard: no\n')], {}).dashboard, false);
  });

  it('a flag wins over the file', () => {
    const file = yamlFile('on.yaml', 'dashboard: false\n');
    assert.equal(loadConfig(['--config-file', file, '--dashboard=true'], {}).dashboard, true);
  });

  it('a value that is not a boolean is refused, naming the key', () => {
    assertRefused(() => loadConfig([], { KVD_DASHBOARD: 'maybe' }), 'INVALID_BOOL', 'dashboard', 'maybe');
  });
});
