import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../lib/config/index.js';
import { yamlFile } from './helpers.js';

const file = yamlFile(
  'precedence.yaml',
  `
name: from-file
initial-cluster-token: file-token
snapshot-count: 111
log-level: warn
listen-client-urls: http://127.0.0.1:1001
advertise-client-urls: http://127.0.0.1:1001
peer-transport-security:
  auto-tls: true
client-transport-security:
  cert-file: file-cert.pem
  key-file: file-key.pem
`,
);

describe('config precedence: flags > KVD_* environment > file > defaults', () => {
  it('uses etcd defaults when nothing is given', () => {
    const c = loadConfig([], {});
    assert.equal(c.name, 'default');
    assert.equal(c.dataDir, 'default.kvd');
    assert.deepEqual(
      c.listenClientUrls.map((u) => u.href),
      ['http://127.0.0.1:2379'],
    );
    assert.deepEqual(
      c.advertiseClientUrls.map((u) => u.href),
      ['http://127.0.0.1:2379'],
    );
    assert.deepEqual(
      c.listenPeerUrls.map((u) => u.href),
      ['http://127.0.0.1:2380'],
    );
    assert.deepEqual(
      c.initialAdvertisePeerUrls.map((u) => u.href),
      ['http://127.0.0.1:2380'],
    );
    assert.deepEqual(c.initialCluster, [{ name: 'default', peerURLs: ['http://127.0.0.1:2380'] }]);
    assert.equal(c.initialClusterState, 'new');
    assert.equal(c.initialClusterToken, 'etcd-cluster');
    assert.equal(c.snapshotCount, 100000);
    assert.equal(c.heartbeatIntervalMs, 100);
    assert.equal(c.electionTimeoutMs, 1000);
    assert.equal(c.maxSnapshots, 5);
    assert.equal(c.maxWals, 5);
    assert.equal(c.segmentSize, 64 * 1024 * 1024);
    assert.equal(c.logLevel, 'info');
    assert.deepEqual(c.clientTransportSecurity, {
      certFile: undefined,
      keyFile: undefined,
      clientCertAuth: false,
      trustedCaFile: undefined,
      autoTls: false,
    });
    assert.equal(c.peerTransportSecurity.autoTls, false);
    assert.equal(c.configFile, undefined);
  });

  it('derives data-dir and initial-cluster from the name actually chosen', () => {
    const c = loadConfig(
      [
        '--name',
        'infra0',
        '--initial-advertise-peer-urls',
        'http://127.0.0.1:12380,http://localhost:12380',
        '--listen-peer-urls',
        'http://127.0.0.1:12380',
      ],
      {},
    );
    assert.equal(c.dataDir, 'infra0.kvd');
    assert.deepEqual(c.initialCluster, [
      { name: 'infra0', peerURLs: ['http://127.0.0.1:12380', 'http://localhost:12380'] },
    ]);
  });

  it('reads a string key from the file, then the environment, then the flag', () => {
    assert.equal(loadConfig(['--config-file', file], {}).name, 'from-file');
    assert.equal(loadConfig(['--config-file', file], { KVD_NAME: 'from-env' }).name, 'from-env');
    assert.equal(
      loadConfig(['--config-file', file, '--name', 'from-flag'], { KVD_NAME: 'from-env' }).name,
      'from-flag',
    );
  });

  it('reads a number key from the file, then the environment, then the flag', () => {
    assert.equal(loadConfig(['--config-file', file], {}).snapshotCount, 111);
    assert.equal(loadConfig(['--config-file', file], { KVD_SNAPSHOT_COUNT: '222' }).snapshotCount, 222);
    assert.equal(
      loadConfig(['--config-file', file, '--snapshot-count=333'], { KVD_SNAPSHOT_COUNT: '222' }).snapshotCount,
      333,
    );
  });

  it('reads an enum key from the file, then the environment, then the flag', () => {
    assert.equal(loadConfig(['--config-file', file], {}).logLevel, 'warn');
    assert.equal(loadConfig(['--config-file', file], { KVD_LOG_LEVEL: 'error' }).logLevel, 'error');
    assert.equal(
      loadConfig(['--config-file', file, '--log-level', 'debug'], { KVD_LOG_LEVEL: 'error' }).logLevel,
      'debug',
    );
  });

  it('reads a URL list key from the file, then the environment, then the flag', () => {
    const hrefs = (argv: string[], env: NodeJS.ProcessEnv) =>
      loadConfig(argv, env).advertiseClientUrls.map((u) => u.href);
    assert.deepEqual(hrefs(['--config-file', file], {}), ['http://127.0.0.1:1001']);
    assert.deepEqual(hrefs(['--config-file', file], { KVD_ADVERTISE_CLIENT_URLS: 'http://127.0.0.1:1002' }), [
      'http://127.0.0.1:1002',
    ]);
    assert.deepEqual(
      hrefs(['--config-file', file, '--advertise-client-urls', 'http://127.0.0.1:1003'], {
        KVD_ADVERTISE_CLIENT_URLS: 'http://127.0.0.1:1002',
      }),
      ['http://127.0.0.1:1003'],
    );
  });

  it('reads a boolean key nested in a transport-security section, then the environment, then the flag', () => {
    assert.equal(loadConfig(['--config-file', file], {}).peerTransportSecurity.autoTls, true);
    assert.equal(
      loadConfig(['--config-file', file], { KVD_PEER_AUTO_TLS: 'false' }).peerTransportSecurity.autoTls,
      false,
    );
    assert.equal(
      loadConfig(['--config-file', file, '--peer-auto-tls'], { KVD_PEER_AUTO_TLS: 'false' }).peerTransportSecurity
        .autoTls,
      true,
    );
  });

  it('reads a file path nested in a transport-security section, then the environment, then the flag', () => {
    const sec = (argv: string[], env: NodeJS.ProcessEnv) => loadConfig(argv, env).clientTransportSecurity;
    assert.deepEqual(
      [sec(['--config-file', file], {}).certFile, sec(['--config-file', file], {}).keyFile],
      ['file-cert.pem', 'file-key.pem'],
    );
    assert.equal(sec(['--config-file', file], { KVD_CERT_FILE: 'env-cert.pem' }).certFile, 'env-cert.pem');
    assert.equal(
      sec(['--config-file', file, '--cert-file', 'flag-cert.pem'], { KVD_CERT_FILE: 'env-cert.pem' }).certFile,
      'flag-cert.pem',
    );
  });

  it('takes the config file from KVD_CONFIG_FILE, and from --config-file over it', () => {
    const other = yamlFile('other.yaml', 'name: other-file\n');
    assert.equal(loadConfig([], { KVD_CONFIG_FILE: file }).name, 'from-file');
    assert.equal(loadConfig(['--config-file', other], { KVD_CONFIG_FILE: file }).name, 'other-file');
    assert.equal(loadConfig([], { KVD_CONFIG_FILE: file }).configFile, file);
  });

  it('treats an empty environment variable as unset', () => {
    assert.equal(loadConfig(['--config-file', file], { KVD_NAME: '' }).name, 'from-file');
  });

  it('warns about, but does not refuse, unknown KVD_* environment variables', () => {
    const c = loadConfig([], { KVD_NAMEE: 'typo', PATH: '/bin' });
    assert.deepEqual(
      c.notices.map((n) => [n.level, n.key]),
      [['warn', 'KVD_NAMEE']],
    );
  });
});
