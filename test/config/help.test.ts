import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { helpText, versionText } from '../../lib/config/index.js';

const KEYS_WITH_DEFAULTS: [string, string][] = [
  ['name', 'default'],
  ['data-dir', '${name}.kvd'],
  ['listen-client-urls', 'http://127.0.0.1:2379'],
  ['advertise-client-urls', 'http://127.0.0.1:2379'],
  ['listen-peer-urls', 'http://127.0.0.1:2380'],
  ['initial-advertise-peer-urls', 'http://127.0.0.1:2380'],
  ['initial-cluster', '${name}=${initial-advertise-peer-urls}'],
  ['initial-cluster-state', 'new'],
  ['initial-cluster-token', 'etcd-cluster'],
  ['snapshot-count', '100000'],
  ['heartbeat-interval', '100'],
  ['election-timeout', '1000'],
  ['max-snapshots', '5'],
  ['max-wals', '5'],
  ['segment-size', '67108864'],
  ['history-scans', '256'],
  ['history-replay-thread', 'false'],
  ['hash-check-interval', '300'],
  ['dashboard', 'true'],
  ['log-level', 'info'],
  ['enable-v2', 'true'],
  ['cert-file', ''],
  ['key-file', ''],
  ['client-cert-auth', 'false'],
  ['trusted-ca-file', ''],
  ['auto-tls', 'false'],
  ['peer-cert-file', ''],
  ['peer-key-file', ''],
  ['peer-client-cert-auth', 'false'],
  ['peer-trusted-ca-file', ''],
  ['peer-cert-allowed-cn', ''],
  ['peer-cert-allowed-hostname', ''],
  ['peer-auto-tls', 'false'],
  ['logger', 'zap'],
  ['log-outputs', 'default'],
  ['discovery', ''],
  ['discovery-fallback', 'exit'],
  ['discovery-proxy', ''],
  ['discovery-srv', ''],
  ['discovery-srv-name', ''],
  ['discovery-srv-resolver', ''],
  ['force-new-cluster', 'false'],
];

describe('kvd --help and --version', () => {
  it('lists every key with its default', () => {
    const help = helpText();
    for (const [key, def] of KEYS_WITH_DEFAULTS)
      assert.ok(help.includes(`  --${key} '${def}'\n`), `--${key} '${def}' missing`);
  });

  it("groups keys under etcd's headings", () => {
    const help = helpText();
    const at = (s: string) => help.indexOf(s);
    assert.ok(at('Member:') < at('--name') && at('--name') < at('Clustering:'));
    assert.ok(at('Clustering:') < at('--initial-cluster ') && at('--initial-cluster ') < at('Security:'));
    assert.ok(at('Security:') < at('--peer-cert-file') && at('--peer-cert-file') < at('Logging:'));
  });

  it("says that discovery-fallback 'proxy' exits too: kvd has no proxy mode", () => {
    assert.match(helpText(), /--discovery-fallback 'exit'\n {4}.*kvd has no proxy mode: both exit non-zero/);
  });

  it('names the environment variable and the YAML path of nested keys', () => {
    const help = helpText();
    assert.ok(help.includes('KVD_PEER_CERT_ALLOWED_CN'));
    assert.ok(help.includes('peer-transport-security.allowed-cn'));
  });

  it("prints the package's version", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.ok(versionText().startsWith(`kvd Version: ${pkg.version}\n`));
  });
});
