import { describe, it } from 'node:test';
import { loadConfig } from '../../lib/config/index.js';
import { assertRefused, yamlFile } from './helpers.js';

const load = (...argv: string[]) => loadConfig(argv, {});
const peer = [
  '--listen-peer-urls',
  'http://127.0.0.1:12380',
  '--initial-advertise-peer-urls',
  'http://127.0.0.1:12380',
];

describe('refused configurations name the key and the value', () => {
  describe('URLs', () => {
    it('refuses a scheme other than http or https', () => {
      assertRefused(
        () => load('--listen-client-urls', 'unix://127.0.0.1:1', '--advertise-client-urls', 'http://127.0.0.1:1'),
        'INVALID_URL',
        'listen-client-urls',
        '"unix://127.0.0.1:1"',
        'scheme',
        'http:// and https://',
      );
    });

    it('refuses a URL without an explicit port', () => {
      assertRefused(
        () => load('--initial-advertise-peer-urls', 'http://10.0.0.1'),
        'INVALID_URL',
        'initial-advertise-peer-urls',
        '"http://10.0.0.1"',
        'port',
        'scheme://host:port',
      );
    });

    it('refuses a URL with a path', () => {
      assertRefused(
        () => load('--advertise-client-urls', 'http://127.0.0.1:2379/v2'),
        'INVALID_URL',
        'advertise-client-urls',
        '"http://127.0.0.1:2379/v2"',
        'path',
      );
    });

    it('refuses something that is not a URL at all', () => {
      assertRefused(
        () => load('--advertise-client-urls', '127.0.0.1:2379'),
        'INVALID_URL',
        'advertise-client-urls',
        '"127.0.0.1:2379"',
        'not a URL',
      );
    });

    it('refuses a port out of range', () => {
      assertRefused(
        () => load('--advertise-client-urls', 'http://127.0.0.1:70000'),
        'INVALID_URL',
        'advertise-client-urls',
        '70000',
        'port',
      );
    });

    it('refuses a host name in a URL to listen on (etcd: expected IP in URL for binding)', () => {
      assertRefused(
        () => load('--listen-peer-urls', 'http://example.com:2380'),
        'INVALID_URL',
        'listen-peer-urls',
        '"http://example.com:2380"',
        'expected IP in URL for binding',
      );
    });

    it('refuses an empty URL list and an empty item', () => {
      assertRefused(
        () => load('--advertise-client-urls='),
        'INVALID_URL',
        'advertise-client-urls',
        '""',
        'at least one URL',
      );
      assertRefused(
        () => load('--advertise-client-urls', 'http://127.0.0.1:1,'),
        'INVALID_VALUE',
        'advertise-client-urls',
        'empty item',
      );
    });

    it('refuses listen-client-urls without advertise-client-urls, as etcd does', () => {
      assertRefused(
        () => load('--listen-client-urls', 'http://127.0.0.1:12379'),
        'CONFLICT',
        'advertise-client-urls',
        '--advertise-client-urls is required when --listen-client-urls is set explicitly',
        '"http://127.0.0.1:12379"',
      );
    });

    it('refuses https URLs without a certificate or auto-tls', () => {
      assertRefused(
        () =>
          load('--listen-client-urls', 'https://127.0.0.1:12379', '--advertise-client-urls', 'https://127.0.0.1:12379'),
        'CONFLICT',
        'listen-client-urls',
        '"https://127.0.0.1:12379"',
        'https',
        'cert-file',
        'auto-tls',
      );
      assertRefused(
        () =>
          load(
            '--listen-peer-urls',
            'https://127.0.0.1:12380',
            '--initial-advertise-peer-urls',
            'https://127.0.0.1:12380',
          ),
        'CONFLICT',
        'listen-peer-urls',
        '"https://127.0.0.1:12380"',
        'peer-cert-file',
        'peer-auto-tls',
      );
    });
  });

  describe('numbers', () => {
    it('refuses a non-integer', () => {
      assertRefused(
        () => load('--heartbeat-interval', '1.5'),
        'INVALID_NUMBER',
        'heartbeat-interval',
        '"1.5"',
        'whole',
      );
    });

    it('refuses a negative number', () => {
      assertRefused(() => load('--max-wals=-1'), 'INVALID_NUMBER', 'max-wals', '"-1"', 'from 0 to');
    });

    it('refuses a number out of range', () => {
      assertRefused(
        () => load('--snapshot-count', '0'),
        'INVALID_NUMBER',
        'snapshot-count',
        '"0"',
        'out of range',
        'from 1 to',
      );
      assertRefused(
        () => load('--election-timeout', '60000'),
        'INVALID_NUMBER',
        'election-timeout',
        '"60000"',
        'to 50000',
      );
      assertRefused(
        () => load('--segment-size', '100'),
        'INVALID_NUMBER',
        'segment-size',
        '"100"',
        'of bytes from 4096',
      );
    });

    it('refuses a leading zero, which etcd would read as octal', () => {
      assertRefused(() => load('--snapshot-count', '010'), 'INVALID_NUMBER', 'snapshot-count', '"010"', 'octal');
    });

    it("refuses an election timeout under 5 heartbeats, with etcd's message", () => {
      assertRefused(
        () => load('--heartbeat-interval', '300', '--election-timeout', '1000'),
        'CONFLICT',
        'election-timeout',
        '--election-timeout[1000ms] should be at least as 5 times as --heartbeat-interval[300ms]',
        'at least 1500',
      );
    });

    it('names the environment variable a bad value came from', () => {
      assertRefused(
        () => loadConfig([], { KVD_MAX_SNAPSHOTS: 'five' }),
        'INVALID_NUMBER',
        'max-snapshots',
        '"five"',
        'KVD_MAX_SNAPSHOTS',
      );
    });
  });

  describe('enums', () => {
    it('refuses an unknown initial-cluster-state', () => {
      assertRefused(
        () => load('--initial-cluster-state', 'New'),
        'INVALID_ENUM',
        'initial-cluster-state',
        '"New"',
        'new, existing',
      );
    });

    it('refuses an unknown log-level', () => {
      assertRefused(
        () => load('--log-level', 'verbose'),
        'INVALID_ENUM',
        'log-level',
        '"verbose"',
        'debug, info, warn, error',
      );
    });

    it('refuses an unknown logger', () => {
      assertRefused(() => load('--logger', 'logrus'), 'INVALID_ENUM', 'logger', '"logrus"', 'zap, capnslog');
    });
  });

  describe('strings', () => {
    it('refuses an empty name and a name initial-cluster cannot carry', () => {
      assertRefused(() => load('--name='), 'INVALID_VALUE', 'name', '""', 'empty');
      assertRefused(() => load('--name', 'a=b'), 'INVALID_VALUE', 'name', '"a=b"');
    });
  });

  describe('initial-cluster', () => {
    it("refuses a cluster without this member's name, with etcd's message", () => {
      assertRefused(
        () => load('--name', 'infra9', ...peer, '--initial-cluster', 'infra0=http://127.0.0.1:12380'),
        'INVALID_CLUSTER',
        'initial-cluster',
        `couldn't find local name "infra9" in the initial cluster configuration`,
        '"infra0=http://127.0.0.1:12380"',
        'infra0',
      );
    });

    it("refuses a cluster listing this member under other URLs than it advertises, with etcd's message", () => {
      assertRefused(
        () => load('--name', 'infra0', ...peer, '--initial-cluster', 'infra0=http://127.0.0.1:22380'),
        'INVALID_CLUSTER',
        'initial-cluster',
        '--initial-cluster has infra0=http://127.0.0.1:22380 but missing from --initial-advertise-peer-urls=http://127.0.0.1:12380',
      );
    });

    it('refuses advertised peer URLs missing from the cluster', () => {
      assertRefused(
        () =>
          load(
            '--name',
            'infra0',
            '--listen-peer-urls',
            'http://127.0.0.1:12380',
            '--initial-advertise-peer-urls',
            'http://127.0.0.1:12380,http://127.0.0.1:12381',
            '--initial-cluster',
            'infra0=http://127.0.0.1:12380',
          ),
        'INVALID_CLUSTER',
        'initial-cluster',
        '--initial-advertise-peer-urls has http://127.0.0.1:12381 but missing from --initial-cluster=infra0=http://127.0.0.1:12380',
      );
    });

    it('does not compare URLs when joining an existing cluster', () => {
      load(
        '--name',
        'infra0',
        ...peer,
        '--initial-cluster-state',
        'existing',
        '--initial-cluster',
        'infra0=http://127.0.0.1:22380',
      );
    });

    it('refuses a URL given to two members (etcd: has duplicate url)', () => {
      assertRefused(
        () => load('--name', 'a', ...peer, '--initial-cluster', 'a=http://127.0.0.1:12380,b=http://127.0.0.1:12380'),
        'INVALID_CLUSTER',
        'initial-cluster',
        'has duplicate url http://127.0.0.1:12380',
      );
    });

    it('refuses an entry that is not name=URL', () => {
      assertRefused(
        () => load('--name', 'a', ...peer, '--initial-cluster', 'a=http://127.0.0.1:12380,b'),
        'INVALID_CLUSTER',
        'initial-cluster',
        '"b"',
        'name=URL',
      );
    });

    it('refuses a member URL without a port', () => {
      assertRefused(
        () => load('--name', 'a', ...peer, '--initial-cluster', 'a=http://127.0.0.1:12380,b=http://127.0.0.2'),
        'INVALID_URL',
        'initial-cluster',
        '"http://127.0.0.2"',
        'port',
      );
    });
  });

  describe('transport security', () => {
    it('refuses a certificate without its key', () => {
      assertRefused(
        () => load('--peer-cert-file', 'peer.pem'),
        'CONFLICT',
        'peer-cert-file',
        '"peer.pem"',
        'peer-key-file',
      );
    });

    it('refuses client-cert-auth without a trusted CA', () => {
      assertRefused(() => load('--auto-tls', '--client-cert-auth'), 'CONFLICT', 'client-cert-auth', 'trusted-ca-file');
    });

    it('refuses allowed-cn together with allowed-hostname', () => {
      assertRefused(
        () =>
          load(
            '--peer-auto-tls',
            '--peer-client-cert-auth',
            '--peer-trusted-ca-file',
            'ca.pem',
            '--peer-cert-allowed-cn',
            'kvd',
            '--peer-cert-allowed-hostname',
            'kvd.local',
          ),
        'CONFLICT',
        'peer-cert-allowed-cn',
        'mutually exclusive',
        'cn="kvd"',
        'hostname="kvd.local"',
      );
    });

    it('refuses allowed-cn when peer client certificates are not requested', () => {
      assertRefused(
        () => load('--peer-auto-tls', '--peer-cert-allowed-cn', 'kvd'),
        'CONFLICT',
        'peer-cert-allowed-cn',
        '"kvd"',
        'peer-client-cert-auth',
      );
    });
  });

  describe('keys kvd does not know', () => {
    it('refuses an unknown key in the file', () => {
      const f = yamlFile('unknown.yaml', 'name: a\nsnapshot-cnt: 5\n');
      assertRefused(() => load('--config-file', f), 'UNKNOWN_KEY', 'snapshot-cnt', '"snapshot-cnt"', f);
    });

    it('refuses an unknown key inside a transport-security section', () => {
      const f = yamlFile('unknown-nested.yaml', 'peer-transport-security:\n  cert: x.pem\n');
      assertRefused(
        () => load('--config-file', f),
        'UNKNOWN_KEY',
        'peer-transport-security.cert',
        '"peer-transport-security.cert"',
      );
    });

    it("refuses an etcd feature kvd does not have unless it is set to 'off'", () => {
      assertRefused(
        () => load('--wal-dir', '/var/lib/wal'),
        'UNSUPPORTED_KEY',
        'wal-dir',
        '"/var/lib/wal"',
        'member/wal',
      );
      assertRefused(() => load('--proxy', 'on'), 'UNSUPPORTED_KEY', 'proxy', '"on"', "'off'");
      load('--proxy', 'off', '--wal-dir=');
    });
  });
});
