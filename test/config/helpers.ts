import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { ConfigError, type ConfigErrorCode } from '../../lib/config/index.js';

/** Asserts that `fn` throws a ConfigError with this code and key whose message contains every fragment. */
export function assertRefused(
  fn: () => unknown,
  code: ConfigErrorCode,
  key: string,
  ...fragments: string[]
): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.key, key, caught.message);
  for (const f of fragments)
    assert.ok(caught.message.includes(f), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(f)}`);
  return caught;
}

// Created when this module loads, so the cleanup hook belongs to the whole test file.
const dir = mkdtempSync(join(tmpdir(), 'kvd-config-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a YAML file into the test file's temporary directory and returns its path. */
export function yamlFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
