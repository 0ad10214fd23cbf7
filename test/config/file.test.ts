import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../lib/config/index.js';
import { assertRefused, yamlFile } from './helpers.js';

const fromFile = (name: string, text: string) => loadConfig(['--config-file', yamlFile(name, text)], {});

// etcd 3.4's etcd.conf.yml.sample, as operators copy it.
const ETCD_SAMPLE = `
# This is the configuration file for the etcd server.
name: 'default'
data-dir:
wal-dir:
snapshot-count: 10000
heartbeat-interval: 100
election-timeout: 1000
quota-backend-bytes: 0
listen-peer-urls: http://localhost:2380
listen-client-urls: http://localhost:2379
max-snapshots: 5
max-wals: 5
cors:
initial-advertise-peer-urls: http://localhost:2380
advertise-client-urls: http://localhost:2379
discovery:
discovery-fallback: 'proxy'
discovery-proxy:
discovery-srv:
initial-cluster:
initial-cluster-token: 'etcd-cluster'
initial-cluster-state: 'new'
strict-reconfig-check: false
enable-v2: true
enable-pprof: true
proxy: 'off'
proxy-failure-wait: 5000
proxy-refresh-interval: 30000
proxy-dial-timeout: 1000
proxy-write-timeout: 5000
proxy-read-timeout: 0
client-transport-security:
  cert-file:
  key-file:
  client-cert-auth: false
  trusted-ca-file:
  auto-tls: false
peer-transport-security:
  cert-file:
  key-file:
  client-cert-auth: false
  trusted-ca-file:
  auto-tls: false
debug: false
log-package-levels:
log-outputs: [default]
force-new-cluster: false
`;

describe('YAML config file', () => {
  it("loads etcd's sample configuration file unchanged", () => {
    const c = fromFile('etcd-sample.yaml', ETCD_SAMPLE);
    assert.equal(c.name, 'default');
    assert.equal(c.dataDir, 'default.kvd');
    assert.deepEqual(
      c.listenClientUrls.map((u) => u.href),
      ['http://localhost:2379'],
    );
    assert.deepEqual(c.initialCluster, [{ name: 'default', peerURLs: ['http://localhost:2380'] }]);
    assert.ok(
      c.notices.every((n) => n.level === 'debug'),
      JSON.stringify(c.notices),
    );
    assert.ok(c.notices.some((n) => n.key === 'enable-pprof'));
  });

  it('reads YAML 1.1 booleans: yes, on, no, off', () => {
    const c = fromFile(
      'bools.yaml',
      'peer-transport-security:\n  auto-tls: yes\nclient-transport-security:\n  auto-tls: on\nenable-v2: yes\n',
    );
    assert.equal(c.peerTransportSecurity.autoTls, true);
    assert.equal(c.clientTransportSecurity.autoTls, true);
    assert.equal(
      fromFile('bools-no.yaml', 'peer-transport-security:\n  auto-tls: no\n').peerTransportSecurity.autoTls,
      false,
    );
    assert.equal(
      fromFile('bools-off.yaml', 'peer-transport-security:\n  auto-tls: off\n').peerTransportSecurity.autoTls,
      false,
    );
  });

  it('keeps the literal text of a string key that YAML would read as a number or boolean', () => {
    assert.equal(fromFile('hex-name.yaml', 'name: 0x10\n').name, '0x10');
    assert.equal(fromFile('yes-token.yaml', 'initial-cluster-token: yes\n').initialClusterToken, 'yes');
  });

  it('reads numbers as the decimal digits written, refusing YAML 1.1 octal and hex', () => {
    assert.equal(fromFile('count.yaml', 'snapshot-count: 5000\n').snapshotCount, 5000);
    assert.equal(fromFile('count-quoted.yaml', 'snapshot-count: "5000"\n').snapshotCount, 5000);
    assertRefused(
      () => fromFile('count-hex.yaml', 'snapshot-count: 0x10\n'),
      'INVALID_NUMBER',
      'snapshot-count',
      '"0x10"',
      'snapshot-count in',
    );
  });

  it('treats an empty value as unset', () => {
    assert.equal(fromFile('empty.yaml', 'name:\ndata-dir:\n').name, 'default');
  });

  it('accepts a URL list as a comma-separated string or a YAML list', () => {
    const c = fromFile(
      'urls.yaml',
      [
        'listen-client-urls: [http://127.0.0.1:12379, "http://[::1]:12379"]',
        'advertise-client-urls: http://127.0.0.1:12379,http://localhost:12379',
      ].join('\n'),
    );
    assert.deepEqual(
      c.listenClientUrls.map((u) => [u.host, u.port]),
      [
        ['127.0.0.1', 12379],
        ['::1', 12379],
      ],
    );
    assert.deepEqual(
      c.listenClientUrls.map((u) => u.href),
      ['http://127.0.0.1:12379', 'http://[::1]:12379'],
    );
    assert.deepEqual(
      c.advertiseClientUrls.map((u) => u.href),
      ['http://127.0.0.1:12379', 'http://localhost:12379'],
    );
  });

  it('refuses a file that is not valid YAML, naming the file and line', () => {
    const f = yamlFile('broken.yaml', 'name: a\nlisten-client-urls: [http://x:1\n');
    assertRefused(() => loadConfig(['--config-file', f], {}), 'FILE_INVALID', 'config-file', f, 'line');
  });

  it('refuses a file that repeats a key', () => {
    const f = yamlFile('dup.yaml', 'name: a\nname: b\n');
    assertRefused(() => loadConfig(['--config-file', f], {}), 'FILE_INVALID', 'config-file', f);
  });

  it('refuses a file that is not a mapping', () => {
    const f = yamlFile('list.yaml', '- name\n- a\n');
    assertRefused(() => loadConfig(['--config-file', f], {}), 'FILE_INVALID', 'config-file', f, 'mapping');
  });

  it('refuses a transport-security section that is not a mapping', () => {
    const f = yamlFile('sec-scalar.yaml', 'client-transport-security: true\n');
    assertRefused(() => loadConfig(['--config-file', f], {}), 'FILE_INVALID', 'client-transport-security', 'mapping');
  });

  it('refuses a mapping where a value belongs', () => {
    const f = yamlFile('name-map.yaml', 'name:\n  first: a\n');
    assertRefused(() => loadConfig(['--config-file', f], {}), 'FILE_INVALID', 'name', 'single value');
  });

  it('refuses a config file that cannot be read, naming it and where it was given', () => {
    assertRefused(
      () => loadConfig([], { KVD_CONFIG_FILE: '/nonexistent/kvd.yaml' }),
      'FILE_UNREADABLE',
      'config-file',
      '"/nonexistent/kvd.yaml"',
      'KVD_CONFIG_FILE',
      'ENOENT',
    );
  });

  it('warns that log-outputs other than stderr are not used', () => {
    const c = fromFile('outputs.yaml', 'log-outputs: [stderr, /var/log/etcd.log]\n');
    assert.deepEqual(
      c.notices.map((n) => [n.level, n.key]),
      [['warn', 'log-outputs']],
    );
  });

  it('warns that enable-v2: false is ignored', () => {
    const c = fromFile('v2.yaml', 'enable-v2: false\n');
    assert.deepEqual(
      c.notices.map((n) => [n.level, n.key]),
      [['warn', 'enable-v2']],
    );
  });
});
