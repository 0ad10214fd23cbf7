#!/usr/bin/env node
// kvd: one member of a kvd cluster. Parses the configuration, starts the
// member and its client API, and stops them gracefully on SIGTERM/SIGINT.

import { X509Certificate } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { ClientApi } from '../lib/api/index.js';
import {
  commandLineAction,
  ConfigError,
  helpText,
  loadConfig,
  versionText,
  type KvdConfig,
} from '../lib/config/index.js';
import { DiscoveryError } from '../lib/discovery/index.js';
import { createLogger, type Logger } from '../lib/log/index.js';
import { Metrics } from '../lib/metrics/index.js';
import {
  BootstrapError,
  EntryApplyError,
  startMember as startServerMember,
  type InitialClusterSource,
  type Member,
} from '../lib/server/index.js';
import { StorageError } from '../lib/storage/index.js';
import {
  dialTlsOf,
  loadClientTls,
  loadServerTls,
  TlsConfigError,
  TlsReloader,
  type ServerTls,
} from '../lib/tls/index.js';

/** The etcd API level kvd answers as, in /version. */
const ETCD_API_VERSION = { etcdserver: '3.4.0', etcdcluster: '3.4.0' };
const REQUEST_TIMEOUT_BASE_MS = 5000;

export interface Running {
  readonly member: Member;
  readonly api: ClientApi;
  readonly clientURLs: string[];
  stop(): Promise<void>;
}

const anyHttps = (urls: readonly { scheme: string }[]) => urls.some((u) => u.scheme === 'https');

/** Peer TLS, when any peer URL is https or a peer certificate is configured: what the peer server serves and what dials use. */
interface PeerTls {
  readonly loaded: ServerTls;
  readonly hosts: string[];
  readonly dial: ConnectionOptions;
}

function peerTls(config: KvdConfig, logger: Logger): PeerTls | null {
  const sec = config.peerTransportSecurity;
  const wanted =
    anyHttps(config.listenPeerUrls) ||
    anyHttps(config.initialAdvertisePeerUrls) ||
    sec.certFile !== undefined ||
    sec.autoTls;
  if (!wanted) return null;
  const hosts = [...config.listenPeerUrls, ...config.initialAdvertisePeerUrls].map((u) => u.host);
  const loaded = loadServerTls(sec, 'peer', config.dataDir, { hosts, logger });
  return { loaded, hosts, dial: dialTlsOf(loaded, logger) };
}

/**
 * Where a member without a data dir gets its initial cluster. An https://
 * discovery service is dialed with the client TLS settings: trusted-ca-file
 * added to the system's CAs, cert-file/key-file presented if set.
 */
function initialClusterSource(config: KvdConfig, logger: Logger): InitialClusterSource {
  const b = config.bootstrap;
  if (b.kind !== 'discovery') return b;
  let tls: ConnectionOptions | null = null;
  if (b.url.startsWith('https:')) {
    const dial = loadClientTls({ ...config.clientTransportSecurity, autoTls: false }, 'client', config.dataDir, {
      logger,
    });
    tls = { ...dial, ca: dial.ca === undefined ? undefined : [...rootCertificates, ...[dial.ca].flat()] };
  }
  return { kind: 'discovery', url: b.url, proxy: b.proxy, fallback: b.fallback, tls };
}

/**
 * Starts a member from a validated configuration. onRemoved: a committed change
 * removed it; onFatal: it stopped itself on a broken invariant.
 */
export async function startMember(
  config: KvdConfig,
  logger: Logger,
  onRemoved: () => void,
  onFatal: () => void,
): Promise<Running> {
  for (const n of config.notices) logger[n.level]({ key: n.key }, n.message);
  const metrics = new Metrics();
  const peer = peerTls(config, logger);
  const clientHosts = config.listenClientUrls.map((u) => u.host);
  const clientTls = anyHttps(config.listenClientUrls)
    ? loadServerTls(config.clientTransportSecurity, 'client', config.dataDir, { hosts: clientHosts, logger })
    : null;
  const member = await startServerMember({
    name: config.name,
    dataDir: config.dataDir,
    initialCluster: config.initialCluster,
    initialClusterState: config.initialClusterState,
    initialClusterToken: config.initialClusterToken,
    initialClusterSource: initialClusterSource(config, logger),
    forceNewCluster: config.forceNewCluster,
    advertisePeerURLs: config.initialAdvertisePeerUrls.map((u) => u.href),
    advertiseClientURLs: config.advertiseClientUrls.map((u) => u.href),
    listenPeerURLs: config.listenPeerUrls.map((u) => u.href),
    heartbeatMs: config.heartbeatIntervalMs,
    electionMs: config.electionTimeoutMs,
    snapshotCount: config.snapshotCount,
    maxSnapshots: config.maxSnapshots,
    maxWals: config.maxWals,
    segmentSize: config.segmentSize,
    historyScans: config.historyScans,
    historyReplayThread: config.historyReplayThread,
    hashCheckIntervalMs: config.hashCheckInterval * 1000,
    requestTimeoutMs: REQUEST_TIMEOUT_BASE_MS + 2 * config.electionTimeoutMs,
    peerServerTls: peer?.loaded.serverOptions ?? null,
    peerClientTls: peer?.dial ?? null,
    verifyPeer: peer ? (cert) => peer.loaded.checkPeerIdentity(new X509Certificate(cert.raw)) ?? null : undefined,
    logger,
    metrics,
    onRemoved,
    onFatal,
  });
  corruptForTest(member, logger);
  const api = new ClientApi({
    keys: member,
    cluster: member,
    logger,
    version: ETCD_API_VERSION,
    tls: clientTls?.serverOptions ?? null,
    metrics: () => metrics.render(),
    onResponse: (method, status) => metrics.observeResponse(method, status),
    auth: member,
    onAuthRefused: (reason) => metrics.authRefusals.inc({ reason }),
    dashboard: config.dashboard ? member.dashboard : null,
  });
  const clientURLs: string[] = [];
  try {
    for (const u of config.listenClientUrls) clientURLs.push(await api.listen(u.href));
  } catch (err) {
    await member.stop();
    throw err;
  }
  // Rotation: new handshakes and new peer dials use the new certificate; established sessions keep theirs.
  const reloaders = [
    clientTls &&
      new TlsReloader({
        sec: config.clientTransportSecurity,
        side: 'client',
        dataDir: config.dataDir,
        logger,
        current: clientTls,
        hosts: clientHosts,
        onReload: (ctx) => api.setSecureContext(ctx),
      }),
    peer &&
      new TlsReloader({
        sec: config.peerTransportSecurity,
        side: 'peer',
        dataDir: config.dataDir,
        logger,
        current: peer.loaded,
        hosts: peer.hosts,
        onReload: (ctx, next) => member.setPeerTls(ctx, dialTlsOf(next)),
      }),
  ].filter((r): r is TlsReloader => r !== null);
  for (const r of reloaders) r.start();
  const onHup = () => {
    logger.info({ reloaders: reloaders.length }, 'SIGHUP: reloading TLS certificates');
    for (const r of reloaders) r.reload('SIGHUP');
  };
  process.on('SIGHUP', onHup);
  logger.info({ clientURLs, id: member.id, cluster: member.clusterId }, 'ready to serve client requests');
  return {
    member,
    api,
    clientURLs,
    async stop() {
      process.off('SIGHUP', onHup);
      for (const r of reloaders) r.close();
      await api.close();
      await member.stop();
    },
  };
}

/**
 * The last line. An exception nothing caught, or a rejection nobody handled,
 * leaves the member in a state no one reasoned about; a Raft member fails
 * stop rather than serve from it. The transport and the API contain what the
 * network sends them, so reaching this is a bug: say so with the stack, and exit.
 */
function stopOnUncaught(logger: Logger): void {
  process.on('uncaughtException', (err, origin) => {
    logger.fatal({ err, origin }, 'uncaught exception; stopping the member');
    process.exit(70);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection; stopping the member');
    process.exit(70);
  });
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let config: KvdConfig;
  try {
    const action = commandLineAction(argv);
    if (action === 'help') {
      process.stdout.write(helpText());
      return 0;
    }
    if (action === 'version') {
      process.stdout.write(versionText());
      return 0;
    }
    config = loadConfig(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`kvd: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ name: config.name, level: config.logLevel });
  stopOnUncaught(logger);
  let running: Running;
  let stopping: Promise<void> | null = null;
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => (resolveExit = r));
  const shutdown = (why: string, code = 0) => {
    if (stopping) return;
    logger.info({ why }, 'stopping');
    stopping = running.stop().then(
      () => resolveExit(code),
      (err: Error) => {
        logger.error({ err: err.message }, 'error while stopping');
        resolveExit(1);
      },
    );
  };
  try {
    running = await startMember(
      config,
      logger,
      () => shutdown('removed from the cluster'),
      () => shutdown('fatal error', 1),
    );
  } catch (err) {
    if (
      err instanceof BootstrapError ||
      err instanceof DiscoveryError ||
      err instanceof StorageError ||
      err instanceof TlsConfigError ||
      err instanceof EntryApplyError
    ) {
      logger.fatal({ code: (err as { code?: string }).code }, err.message);
      process.stderr.write(`kvd: ${err.message}\n`);
      // TLS material is configuration, refused like a bad flag; the others are the data dir's state.
      return err instanceof TlsConfigError ? 2 : 1;
    }
    throw err;
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return exited;
}

const invokedDirectly =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`kvd: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}

/**
 * Test-only: KVD_TEST_CORRUPT="/key=value" changes that key's value in this
 * member's tree after start-up, bypassing the log, so that the replica hash
 * check has a corrupted replica to find. Never set it on a real member.
 */
function corruptForTest(member: Member, logger: Logger): void {
  const spec = process.env.KVD_TEST_CORRUPT;
  if (spec === undefined) return;
  const eq = spec.indexOf('=');
  const done = eq > 0 && member.corruptForTest(spec.slice(0, eq), spec.slice(eq + 1));
  logger.warn({ spec, done }, "KVD_TEST_CORRUPT: corrupted this member's tree on purpose (a test-only hook)");
}
