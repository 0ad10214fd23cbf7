// The keys kvd reads, under etcd's names: one table drives flags, KVD_*
// environment variables, YAML keys and the help text.

export type OptionKind = 'string' | 'path' | 'url' | 'urls' | 'uint' | 'bool' | 'enum' | 'cluster' | 'list';
export type HelpGroup = 'Member' | 'Clustering' | 'Security' | 'Logging';

export interface OptionSpec {
  /** etcd's flag name; also the YAML key unless `yamlPath` says otherwise. */
  readonly flag: string;
  readonly yamlPath: readonly string[];
  readonly kind: OptionKind;
  readonly group: HelpGroup;
  readonly defaultText: string;
  readonly help: string;
}

const CLIENT_SEC = 'client-transport-security';
const PEER_SEC = 'peer-transport-security';
export const SECURITY_SECTIONS: readonly string[] = [CLIENT_SEC, PEER_SEC];

function opt(
  flag: string,
  kind: OptionKind,
  group: HelpGroup,
  defaultText: string,
  help: string,
  yamlPath: readonly string[] = [flag],
): OptionSpec {
  return { flag, kind, group, defaultText, help, yamlPath };
}

export const OPTIONS: readonly OptionSpec[] = [
  opt('name', 'string', 'Member', 'default', 'Human-readable name for this member.'),
  opt('data-dir', 'path', 'Member', '${name}.kvd', 'Path to the data directory.'),
  opt('snapshot-count', 'uint', 'Member', '100000', 'Number of applied entries that triggers a snapshot to disk.'),
  opt('heartbeat-interval', 'uint', 'Member', '100', 'Time (in milliseconds) of a heartbeat interval.'),
  opt(
    'election-timeout',
    'uint',
    'Member',
    '1000',
    'Time (in milliseconds) for an election to timeout; at least 5 times heartbeat-interval, at most 50000.',
  ),
  opt('listen-peer-urls', 'urls', 'Member', 'http://127.0.0.1:2380', 'List of URLs to listen on for peer traffic.'),
  opt('listen-client-urls', 'urls', 'Member', 'http://127.0.0.1:2379', 'List of URLs to listen on for client traffic.'),
  opt('max-snapshots', 'uint', 'Member', '5', 'Maximum number of snapshot files to retain (0 is unlimited).'),
  opt('max-wals', 'uint', 'Member', '5', 'Maximum number of log segment files to retain (0 is unlimited).'),
  opt(
    'segment-size',
    'uint',
    'Member',
    '67108864',
    'Size (in bytes) at which a log segment file rolls over (kvd only).',
  ),
  opt(
    'history-scans',
    'uint',
    'Member',
    '256',
    'Watches and atIndex reads that may wait for the log at once (older than the in-memory window); more get "too many requests" (kvd only).',
  ),
  opt(
    'history-replay-thread',
    'bool',
    'Member',
    'false',
    "Replay the log for old watches on a worker thread instead of the member's event loop; pays off only with a spare CPU core (kvd only).",
  ),
  opt(
    'hash-check-interval',
    'uint',
    'Member',
    '300',
    "Seconds between the leader's replica hash checks (every member's tree hash at one index compared); 0 turns them off (kvd only).",
  ),
  opt(
    'dashboard',
    'bool',
    'Member',
    'true',
    'Serve the built-in dashboard at /dashboard/ on the client URLs; false turns it off (kvd only).',
  ),

  opt(
    'initial-advertise-peer-urls',
    'urls',
    'Clustering',
    'http://127.0.0.1:2380',
    "List of this member's peer URLs to advertise to the rest of the cluster.",
  ),
  opt(
    'initial-cluster',
    'cluster',
    'Clustering',
    '${name}=${initial-advertise-peer-urls}',
    'Initial cluster configuration for bootstrapping: name=peerURL,... (repeat a name for several URLs).',
  ),
  opt('initial-cluster-state', 'enum', 'Clustering', 'new', "Initial cluster state ('new' or 'existing')."),
  opt(
    'initial-cluster-token',
    'string',
    'Clustering',
    'etcd-cluster',
    'Initial cluster token for the cluster during bootstrap.',
  ),
  opt(
    'advertise-client-urls',
    'urls',
    'Clustering',
    'http://127.0.0.1:2379',
    "List of this member's client URLs to advertise to the public; required when listen-client-urls is set.",
  ),
  opt('enable-v2', 'bool', 'Clustering', 'true', 'Accept etcd V2 client requests (always on in kvd).'),
  opt(
    'discovery',
    'url',
    'Clustering',
    '',
    'Discovery URL used to bootstrap the cluster (etcd v2 discovery protocol); replaces initial-cluster. Ignored once the data dir holds a member.',
  ),
  opt(
    'discovery-fallback',
    'enum',
    'Clustering',
    'exit',
    "Expected behavior ('exit' or 'proxy') when the discovery cluster is full. kvd has no proxy mode: both exit non-zero, " +
      "'proxy' saying so (etcd's default is 'proxy'; kvd's is 'exit').",
  ),
  opt('discovery-proxy', 'string', 'Clustering', '', 'HTTP proxy to use for traffic to the discovery service.'),
  opt(
    'discovery-srv',
    'string',
    'Clustering',
    '',
    'DNS domain used to bootstrap the cluster from SRV records (_etcd-server-ssl._tcp, _etcd-server._tcp); replaces initial-cluster.',
  ),
  opt(
    'discovery-srv-name',
    'string',
    'Clustering',
    '',
    'Suffix to the DNS SRV service name queried when using discovery-srv (_etcd-server-<name>._tcp).',
  ),
  opt(
    'discovery-srv-resolver',
    'list',
    'Clustering',
    '',
    "DNS servers (ip:port, comma-separated) asked for discovery-srv's records instead of the system's (kvd only; meant for tests).",
  ),
  opt(
    'force-new-cluster',
    'bool',
    'Clustering',
    'false',
    'Force to create a new one-member cluster from the data dir (a kvctl backup or a surviving member): every key, index and TTL is kept, ' +
      'the cluster gets a new id, the other members are removed. Start the member without it afterwards.',
  ),

  opt('cert-file', 'path', 'Security', '', 'Path to the client server TLS cert file.', [CLIENT_SEC, 'cert-file']),
  opt('key-file', 'path', 'Security', '', 'Path to the client server TLS key file.', [CLIENT_SEC, 'key-file']),
  opt('client-cert-auth', 'bool', 'Security', 'false', 'Enable client cert authentication.', [
    CLIENT_SEC,
    'client-cert-auth',
  ]),
  opt('trusted-ca-file', 'path', 'Security', '', 'Path to the client server TLS trusted CA cert file.', [
    CLIENT_SEC,
    'trusted-ca-file',
  ]),
  opt('auto-tls', 'bool', 'Security', 'false', 'Client TLS using generated certificates.', [CLIENT_SEC, 'auto-tls']),
  opt('peer-cert-file', 'path', 'Security', '', 'Path to the peer server TLS cert file.', [PEER_SEC, 'cert-file']),
  opt('peer-key-file', 'path', 'Security', '', 'Path to the peer server TLS key file.', [PEER_SEC, 'key-file']),
  opt('peer-client-cert-auth', 'bool', 'Security', 'false', 'Enable peer client cert authentication.', [
    PEER_SEC,
    'client-cert-auth',
  ]),
  opt('peer-trusted-ca-file', 'path', 'Security', '', 'Path to the peer server TLS trusted CA file.', [
    PEER_SEC,
    'trusted-ca-file',
  ]),
  opt(
    'peer-cert-allowed-cn',
    'string',
    'Security',
    '',
    'Required CN for client certs connecting to the peer endpoint.',
    [PEER_SEC, 'allowed-cn'],
  ),
  opt('peer-cert-allowed-hostname', 'string', 'Security', '', 'Allowed TLS hostname for inter peer authentication.', [
    PEER_SEC,
    'allowed-hostname',
  ]),
  opt(
    'peer-auto-tls',
    'bool',
    'Security',
    'false',
    'Peer TLS using self-generated certificates if peer-key-file and peer-cert-file are not provided.',
    [PEER_SEC, 'auto-tls'],
  ),

  opt(
    'logger',
    'enum',
    'Logging',
    'zap',
    "Accepted for etcd compatibility ('zap' or 'capnslog'); kvd logs JSON lines.",
  ),
  opt('log-outputs', 'list', 'Logging', 'default', 'Accepted for etcd compatibility; kvd always logs to stderr.'),
  opt('log-level', 'enum', 'Logging', 'info', 'Configures log level: debug, info, warn or error.'),
];

/**
 * etcd keys an operator's file or command line may carry that change nothing
 * kvd does: accepted and ignored with a debug notice.
 */
export const IGNORED_ETCD_KEYS: readonly { readonly flag: string; readonly boolean: boolean }[] = [
  { flag: 'enable-pprof', boolean: true },
  { flag: 'strict-reconfig-check', boolean: true },
  { flag: 'debug', boolean: true },
  { flag: 'metrics', boolean: false },
  { flag: 'listen-metrics-urls', boolean: false },
  { flag: 'quota-backend-bytes', boolean: false },
  { flag: 'cors', boolean: false },
  { flag: 'auto-compaction-mode', boolean: false },
  { flag: 'auto-compaction-retention', boolean: false },
  { flag: 'log-package-levels', boolean: false },
  { flag: 'proxy-failure-wait', boolean: false },
  { flag: 'proxy-refresh-interval', boolean: false },
  { flag: 'proxy-dial-timeout', boolean: false },
  { flag: 'proxy-write-timeout', boolean: false },
  { flag: 'proxy-read-timeout', boolean: false },
];

/**
 * etcd keys for features kvd does not have. They appear (empty) in etcd's
 * sample file, so their "off" value is accepted; any other value is refused,
 * because ignoring it would start a member unlike the one the operator asked for.
 */
export const UNSUPPORTED_ETCD_KEYS: readonly {
  readonly flag: string;
  readonly boolean: boolean;
  /** The value that means "feature off". */
  readonly off: string;
  readonly fix: string;
}[] = [
  { flag: 'wal-dir', boolean: false, off: '', fix: 'remove it: kvd keeps its log in <data-dir>/member/wal' },
  { flag: 'proxy', boolean: false, off: 'off', fix: "remove it or set it to 'off': kvd has no v2 proxy mode" },
];

export const CONFIG_FILE_FLAG = 'config-file';

export const OPTION_BY_FLAG: ReadonlyMap<string, OptionSpec> = new Map(OPTIONS.map((o) => [o.flag, o]));

export function envName(flag: string): string {
  return 'KVD_' + flag.toUpperCase().replace(/-/g, '_');
}
