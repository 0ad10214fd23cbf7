import { LOG_LEVELS } from '../log/index.js';
import { parseCommandLine } from './flags.js';
import { readEnvironment } from './env.js';
import { ConfigError } from './errors.js';
import { readConfigFile } from './file.js';
import { CONFIG_FILE_FLAG, IGNORED_ETCD_KEYS, OPTION_BY_FLAG, UNSUPPORTED_ETCD_KEYS } from './options.js';
import { describeSource, invalid, type RawValue, type RawValues } from './source.js';
import type {
  ClusterBootstrap,
  ClusterMember,
  ConfigNotice,
  KvdConfig,
  KvdUrl,
  PeerTransportSecurity,
  TransportSecurity,
} from './types.js';
import {
  parseBool,
  parseDiscoveryUrl,
  parseDnsDomain,
  parseDnsServers,
  parseEnum,
  parseInitialCluster,
  parseList,
  parseProxyUrl,
  parseUint,
  parseUrlList,
} from './values.js';

const MAX_ELECTION_TIMEOUT_MS = 50_000; // etcd's limit
const MiB = 1024 * 1024;

/**
 * Reads kvd's configuration: flags > `KVD_*` environment > YAML file
 * (`--config-file` / `KVD_CONFIG_FILE`) > defaults, under etcd's key names.
 * `argv` holds the arguments after the program name. Throws ConfigError.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): KvdConfig {
  const commandLine = parseCommandLine(argv);
  const environment = readEnvironment(env);
  const notices: ConfigNotice[] = [...environment.notices];
  const fileRef = commandLine.values.get(CONFIG_FILE_FLAG) ?? environment.values.get(CONFIG_FILE_FLAG);
  const configFile = fileRef !== undefined && fileRef.text !== '' ? fileRef.text : undefined;
  const fromFile: RawValues = fileRef !== undefined && configFile !== undefined ? readConfigFile(fileRef) : new Map();
  const raw: RawValues = new Map([...fromFile, ...environment.values, ...commandLine.values]);
  raw.delete(CONFIG_FILE_FLAG);
  checkEtcdOnlyKeys(raw, notices);
  const s = new Settings(raw);

  const name = s.name();
  const dataDir = s.optional('data-dir') ?? `${name}.kvd`;
  const listenClientUrls = s.urls('listen-client-urls', true);
  const advertiseClientUrls = s.urls('advertise-client-urls', false);
  const listenPeerUrls = s.urls('listen-peer-urls', true);
  const initialAdvertisePeerUrls = s.urls('initial-advertise-peer-urls', false);
  const initialClusterRaw = s.nonEmpty('initial-cluster');
  const initialCluster: ClusterMember[] = initialClusterRaw
    ? parseInitialCluster('initial-cluster', initialClusterRaw)
    : [{ name, peerURLs: initialAdvertisePeerUrls.map((u) => u.href) }];
  const initialClusterState = parseEnum('initial-cluster-state', s.value('initial-cluster-state'), [
    'new',
    'existing',
  ] as const);
  const initialClusterToken = s.text('initial-cluster-token');
  const bootstrap = clusterBootstrap(s, initialClusterRaw, notices);
  const forceNewCluster = s.bool('force-new-cluster');
  const snapshotCount = s.uint('snapshot-count', 1, 1_000_000_000);
  const heartbeatIntervalMs = s.uint('heartbeat-interval', 1, MAX_ELECTION_TIMEOUT_MS / 5, ' of milliseconds');
  const electionTimeoutMs = s.uint('election-timeout', 1, MAX_ELECTION_TIMEOUT_MS, ' of milliseconds');
  const maxSnapshots = s.uint('max-snapshots', 0, 1_000_000);
  const maxWals = s.uint('max-wals', 0, 1_000_000);
  const segmentSize = s.uint('segment-size', 4096, 1024 * MiB, ' of bytes');
  const historyScans = s.uint('history-scans', 1, 1_000_000);
  const historyReplayThread = s.bool('history-replay-thread');
  const hashCheckInterval = s.uint('hash-check-interval', 0, 1_000_000, ' of seconds');
  const dashboard = s.bool('dashboard');
  const logLevel = parseEnum('log-level', s.value('log-level'), LOG_LEVELS);
  parseEnum('logger', s.value('logger'), ['zap', 'capnslog'] as const);
  const outputs = parseList('log-outputs', s.value('log-outputs')).filter((o) => o !== 'default' && o !== 'stderr');
  if (outputs.length > 0) {
    notices.push({
      level: 'warn',
      key: 'log-outputs',
      message: `log-outputs ${outputs.join(',')} ignored: kvd logs JSON lines to stderr`,
    });
  }
  if (!s.bool('enable-v2')) {
    notices.push({ level: 'warn', key: 'enable-v2', message: 'enable-v2=false ignored: kvd always serves the v2 API' });
  }

  const clientTransportSecurity: TransportSecurity = {
    certFile: s.optional('cert-file'),
    keyFile: s.optional('key-file'),
    clientCertAuth: s.bool('client-cert-auth'),
    trustedCaFile: s.optional('trusted-ca-file'),
    autoTls: s.bool('auto-tls'),
  };
  const peerTransportSecurity: PeerTransportSecurity = {
    certFile: s.optional('peer-cert-file'),
    keyFile: s.optional('peer-key-file'),
    clientCertAuth: s.bool('peer-client-cert-auth'),
    trustedCaFile: s.optional('peer-trusted-ca-file'),
    autoTls: s.bool('peer-auto-tls'),
    allowedCn: s.optional('peer-cert-allowed-cn'),
    allowedHostname: s.optional('peer-cert-allowed-hostname'),
  };

  checkElection(s, heartbeatIntervalMs, electionTimeoutMs);
  if (raw.has('listen-client-urls') && !raw.has('advertise-client-urls')) {
    const lcu = s.value('listen-client-urls');
    throw new ConfigError(
      'CONFLICT',
      'advertise-client-urls',
      `--advertise-client-urls is required when --listen-client-urls is set explicitly (listen-client-urls ${JSON.stringify(lcu.text)} from ${describeSource(lcu.source)}); set advertise-client-urls to the URLs clients use to reach this member`,
    );
  }
  // An https:// discovery service is dialed with the client TLS settings.
  const httpsDiscovery = bootstrap.kind === 'discovery' && bootstrap.url.startsWith('https:');
  checkSecurity(
    s,
    notices,
    CLIENT_KEYS,
    clientTransportSecurity,
    [listenClientUrls, advertiseClientUrls],
    httpsDiscovery,
  );
  checkSecurity(s, notices, PEER_KEYS, peerTransportSecurity, [listenPeerUrls, initialAdvertisePeerUrls], false);
  checkPeerIdentity(s, peerTransportSecurity);
  if (initialClusterRaw) {
    checkLocalMember(
      name,
      initialClusterRaw,
      initialCluster,
      initialAdvertisePeerUrls,
      initialClusterState === 'new',
      s,
    );
  }

  return {
    name,
    dataDir,
    listenClientUrls,
    advertiseClientUrls,
    listenPeerUrls,
    initialAdvertisePeerUrls,
    initialCluster,
    initialClusterState,
    initialClusterToken,
    bootstrap,
    forceNewCluster,
    snapshotCount,
    heartbeatIntervalMs,
    electionTimeoutMs,
    maxSnapshots,
    maxWals,
    segmentSize,
    historyScans,
    historyReplayThread,
    hashCheckInterval,
    dashboard,
    logLevel,
    clientTransportSecurity,
    peerTransportSecurity,
    configFile,
    notices,
  };
}

/** The merged raw settings, read with each option's default from the option table. */
class Settings {
  constructor(private readonly raw: RawValues) {}

  /** The setting, or its default as if it had been given. */
  value(flag: string): RawValue {
    const spec = OPTION_BY_FLAG.get(flag);
    if (spec === undefined) throw new Error(`no option ${flag}`);
    return this.raw.get(flag) ?? { text: spec.defaultText, source: { kind: 'default' } };
  }

  /** A setting where empty means "not set". */
  nonEmpty(flag: string): RawValue | undefined {
    const raw = this.raw.get(flag);
    return raw !== undefined && raw.text.trim() !== '' ? raw : undefined;
  }

  optional(flag: string): string | undefined {
    return this.nonEmpty(flag)?.text;
  }

  text(flag: string): string {
    const raw = this.value(flag);
    if (raw.text.trim() === '')
      throw invalid('INVALID_VALUE', flag, raw, 'is empty', `give a value, or leave ${flag} out for the default`);
    return raw.text;
  }

  name(): string {
    const raw = this.value('name');
    const name = this.text('name');
    if (/[,=]/.test(name) || name.trim() !== name) {
      throw invalid(
        'INVALID_VALUE',
        'name',
        raw,
        "contains ',' or '=' or surrounding spaces, which initial-cluster cannot carry",
        'use letters, digits, dots and dashes, e.g. infra0',
      );
    }
    return name;
  }

  uint(flag: string, min: number, max: number, unit = ''): number {
    return parseUint(flag, this.value(flag), min, max, unit);
  }

  bool(flag: string): boolean {
    return parseBool(flag, this.value(flag));
  }

  urls(flag: string, bind: boolean): KvdUrl[] {
    return parseUrlList(flag, this.value(flag), { bind });
  }
}

function checkEtcdOnlyKeys(raw: RawValues, notices: ConfigNotice[]): void {
  for (const { flag } of IGNORED_ETCD_KEYS) {
    const value = raw.get(flag);
    if (value === undefined) continue;
    notices.push({
      level: 'debug',
      key: flag,
      message: `ignoring etcd option ${flag} ${JSON.stringify(value.text)} (from ${describeSource(value.source)}): it changes nothing in kvd`,
    });
  }
  for (const k of UNSUPPORTED_ETCD_KEYS) {
    const value = raw.get(k.flag);
    if (value === undefined) continue;
    const off = k.boolean ? parseBool(k.flag, value) === (k.off === 'true') : value.text.trim() === k.off;
    if (!off) throw invalid('UNSUPPORTED_KEY', k.flag, value, 'asks for an etcd feature kvd does not have', k.fix);
  }
}

/**
 * At most one of initial-cluster (given explicitly), discovery and
 * discovery-srv, as etcd requires; settings of the ones not chosen are unused.
 */
function clusterBootstrap(
  s: Settings,
  initialCluster: RawValue | undefined,
  notices: ConfigNotice[],
): ClusterBootstrap {
  const discovery = s.nonEmpty('discovery');
  const srv = s.nonEmpty('discovery-srv');
  const chosen = [
    ['initial-cluster', initialCluster],
    ['discovery', discovery],
    ['discovery-srv', srv],
  ] as const;
  const given = chosen.filter(([, raw]) => raw !== undefined);
  const [, second] = given;
  if (second !== undefined) {
    throw new ConfigError(
      'CONFLICT',
      second[0],
      `multiple discovery or bootstrap flags are set (${given.map(([k, raw]) => `${k} from ${describeSource(raw!.source)}`).join(', ')}). ` +
        `Choose one of "initial-cluster", "discovery" or "discovery-srv"`,
    );
  }
  const fallback = parseEnum('discovery-fallback', s.value('discovery-fallback'), ['exit', 'proxy'] as const);
  const unused = (flag: string, needs: string) => {
    const raw = s.nonEmpty(flag);
    if (raw !== undefined) {
      notices.push({
        level: 'warn',
        key: flag,
        message: `${flag} ${JSON.stringify(raw.text)} (from ${describeSource(raw.source)}) is unused without ${needs}`,
      });
    }
  };
  if (discovery === undefined) unused('discovery-proxy', 'discovery');
  if (srv === undefined) {
    unused('discovery-srv-name', 'discovery-srv');
    unused('discovery-srv-resolver', 'discovery-srv');
  }
  if (discovery !== undefined) {
    const proxy = s.nonEmpty('discovery-proxy');
    return {
      kind: 'discovery',
      url: parseDiscoveryUrl('discovery', discovery),
      fallback,
      proxy: proxy === undefined ? undefined : parseProxyUrl('discovery-proxy', proxy),
    };
  }
  if (srv !== undefined) {
    const name = s.nonEmpty('discovery-srv-name');
    if (name !== undefined && !/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name.text.trim())) {
      throw invalid(
        'INVALID_VALUE',
        'discovery-srv-name',
        name,
        'is not a DNS label',
        'use letters, digits and dashes, e.g. prod',
      );
    }
    const resolvers = s.nonEmpty('discovery-srv-resolver');
    return {
      kind: 'srv',
      domain: parseDnsDomain('discovery-srv', srv),
      serviceName: name?.text.trim(),
      resolvers: resolvers === undefined ? [] : parseDnsServers('discovery-srv-resolver', resolvers),
    };
  }
  return { kind: 'static' };
}

function checkElection(s: Settings, heartbeatMs: number, electionMs: number): void {
  if (5 * heartbeatMs <= electionMs) return;
  const e = s.value('election-timeout');
  const h = s.value('heartbeat-interval');
  throw new ConfigError(
    'CONFLICT',
    'election-timeout',
    `--election-timeout[${electionMs}ms] should be at least as 5 times as --heartbeat-interval[${heartbeatMs}ms] ` +
      `(election-timeout from ${describeSource(e.source)}, heartbeat-interval from ${describeSource(h.source)}); ` +
      `raise election-timeout to at least ${5 * heartbeatMs} or lower heartbeat-interval to at most ${Math.floor(electionMs / 5)}`,
  );
}

interface SecurityKeys {
  readonly side: 'client' | 'peer';
  readonly section: string;
  readonly cert: string;
  readonly key: string;
  readonly auth: string;
  readonly ca: string;
  readonly auto: string;
  readonly urls: readonly [string, string];
}

const CLIENT_KEYS: SecurityKeys = {
  side: 'client',
  section: 'client-transport-security',
  cert: 'cert-file',
  key: 'key-file',
  auth: 'client-cert-auth',
  ca: 'trusted-ca-file',
  auto: 'auto-tls',
  urls: ['listen-client-urls', 'advertise-client-urls'],
};
const PEER_KEYS: SecurityKeys = {
  side: 'peer',
  section: 'peer-transport-security',
  cert: 'peer-cert-file',
  key: 'peer-key-file',
  auth: 'peer-client-cert-auth',
  ca: 'peer-trusted-ca-file',
  auto: 'peer-auto-tls',
  urls: ['listen-peer-urls', 'initial-advertise-peer-urls'],
};

function checkSecurity(
  s: Settings,
  notices: ConfigNotice[],
  keys: SecurityKeys,
  sec: TransportSecurity,
  urlLists: readonly [readonly KvdUrl[], readonly KvdUrl[]],
  usedElsewhere: boolean,
): void {
  for (const [present, missing, what] of [
    [keys.cert, keys.key, 'private key'],
    [keys.key, keys.cert, 'certificate'],
  ] as const) {
    const raw = s.nonEmpty(present);
    if (raw !== undefined && s.nonEmpty(missing) === undefined) {
      throw invalid(
        'CONFLICT',
        present,
        raw,
        `is set but ${missing} is not`,
        `set ${missing} to the matching ${what} (${keys.section})`,
      );
    }
  }
  const hasCert = sec.certFile !== undefined || sec.autoTls;
  const httpsList = urlLists.findIndex((list) => list.some((u) => u.scheme === 'https'));
  const flag = keys.urls[httpsList];
  if (flag !== undefined && !hasCert) {
    throw invalid(
      'CONFLICT',
      flag,
      s.value(flag),
      `uses https but no ${keys.side} certificate is configured`,
      `set ${keys.cert} and ${keys.key} (${keys.section}), or ${keys.auto}`,
    );
  }
  if (sec.clientCertAuth && sec.trustedCaFile === undefined) {
    throw invalid(
      'CONFLICT',
      keys.auth,
      s.value(keys.auth),
      `needs ${keys.ca} to verify ${keys.side} certificates`,
      `set ${keys.ca} to the CA that signs them (${keys.section})`,
    );
  }
  const tlsKeys = [keys.cert, keys.key, keys.ca].filter((k) => s.nonEmpty(k) !== undefined);
  if (sec.clientCertAuth) tlsKeys.push(keys.auth);
  if (sec.autoTls) tlsKeys.push(keys.auto);
  const [firstTlsKey] = tlsKeys;
  if (httpsList === -1 && firstTlsKey !== undefined && !usedElsewhere) {
    notices.push({
      level: 'warn',
      key: firstTlsKey,
      message: `${tlsKeys.join(', ')} set but no ${keys.side} URL uses https: ${keys.side} TLS settings are unused`,
    });
  }
}

function checkPeerIdentity(s: Settings, sec: PeerTransportSecurity): void {
  const cn = s.nonEmpty('peer-cert-allowed-cn');
  const host = s.nonEmpty('peer-cert-allowed-hostname');
  if (cn !== undefined && host !== undefined) {
    throw new ConfigError(
      'CONFLICT',
      'peer-cert-allowed-cn',
      `AllowedCN and AllowedHostname are mutually exclusive (cn=${JSON.stringify(cn.text)} from ${describeSource(cn.source)}, ` +
        `hostname=${JSON.stringify(host.text)} from ${describeSource(host.source)}); keep only one of peer-cert-allowed-cn and peer-cert-allowed-hostname`,
    );
  }
  const given = cn ?? host;
  if (given !== undefined && !sec.clientCertAuth) {
    const flag = cn !== undefined ? 'peer-cert-allowed-cn' : 'peer-cert-allowed-hostname';
    throw invalid(
      'CONFLICT',
      flag,
      given,
      'is only checked on peer client certificates, which are not requested',
      'set peer-client-cert-auth to true (with peer-trusted-ca-file)',
    );
  }
}

/** etcd's bootstrap check: this member is in initial-cluster, under exactly its advertised peer URLs. */
function checkLocalMember(
  name: string,
  raw: RawValue,
  cluster: readonly ClusterMember[],
  advertised: readonly KvdUrl[],
  strict: boolean,
  s: Settings,
): void {
  const where = `(initial-cluster ${JSON.stringify(raw.text)} from ${describeSource(raw.source)})`;
  const self = cluster.find((m) => m.name === name);
  if (self === undefined) {
    throw new ConfigError(
      'INVALID_CLUSTER',
      'initial-cluster',
      `couldn't find local name ${JSON.stringify(name)} in the initial cluster configuration ${where}; ` +
        `add ${name}=<its initial-advertise-peer-urls> to initial-cluster, or set name to one of: ${cluster.map((m) => m.name).join(', ')}`,
    );
  }
  if (!strict) return;
  const apurls = advertised.map((u) => u.href);
  const apSource = describeSource(s.value('initial-advertise-peer-urls').source);
  const missing = self.peerURLs.filter((u) => !apurls.includes(u));
  if (missing.length > 0) {
    throw new ConfigError(
      'INVALID_CLUSTER',
      'initial-cluster',
      `--initial-cluster has ${missing.map((u) => `${name}=${u}`).join(',')} but missing from --initial-advertise-peer-urls=${apurls.join(',')} ` +
        `${where}, initial-advertise-peer-urls from ${apSource}; list under ${name} exactly this member's initial-advertise-peer-urls`,
    );
  }
  const extra = apurls.filter((u) => !self.peerURLs.includes(u));
  if (extra.length > 0) {
    throw new ConfigError(
      'INVALID_CLUSTER',
      'initial-cluster',
      `--initial-advertise-peer-urls has ${extra.join(',')} but missing from --initial-cluster=${self.peerURLs.map((u) => `${name}=${u}`).join(',')} ` +
        `${where}, initial-advertise-peer-urls from ${apSource}; add ${extra.map((u) => `${name}=${u}`).join(',')} to initial-cluster`,
    );
  }
}
