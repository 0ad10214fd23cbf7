// Start-up: recover a member from its data dir (newest snapshot, then the log
// after it, replayed into the key tree), or create a new member's data dir
// (a new cluster from initial-cluster, discovery or DNS SRV records, or
// joining an existing one). --force-new-cluster first rewrites a data dir
// into a one-member cluster of its own.

import type { RaftConfig } from '../raft/index.js';
import { realRuntime } from '../runtime/index.js';
import {
  asIndex,
  asMemberId,
  asTerm,
  NO_MEMBER,
  type Entry,
  type HardState,
  type Index,
  type MemberId,
  type Snapshot,
  type Term,
} from '../raft/index.js';
import {
  DiscoveryError,
  joinCluster as discoverCluster,
  srvCluster,
  type DiscoveredMember,
} from '../discovery/index.js';
import { DEFAULT_PROGRESS_INTERVAL_MS, Progress } from '../progress/index.js';
import { join } from 'node:path';
import { CounterFile, DataDirLock, SnapshotStore, Wal } from '../storage/index.js';
import { fetchPeerJSON } from '../transport/index.js';
import { EntryApplyError } from './errors.js';
import { rewriteAsNewCluster, settleInterruptedRewrite } from './force-new-cluster.js';
import { computeClusterId, computeMemberId } from './ids.js';
import type { InitialMember, MemberOptions } from './options.js';
import { encodeMembershipChange } from '../proposal/index.js';
import { ProposalIds } from './proposal-ids.js';
import type { MemberInfo } from './service.js';
import { MemberRegistry, StateMachine, type Applied } from '../state/index.js';

export interface Bootstrapped {
  readonly lock: DataDirLock;
  /** Request ids unique across this member's restarts; also read contexts. */
  readonly ids: ProposalIds;
  readonly id: MemberId;
  readonly clusterId: string;
  readonly sm: StateMachine;
  readonly wal: Wal;
  readonly snapshots: SnapshotStore;
  readonly applied: Index;
  readonly appliedTerm: Term;
  readonly voters: MemberId[];
  readonly restore: NonNullable<RaftConfig['restore']>;
  readonly snapshotIndex: number;
  readonly replayed: number;
  readonly seconds: number;
}

/** A start-up refusal: the message says what is wrong and how to fix it. */
export class BootstrapError extends Error {
  constructor(
    readonly code: 'NOT_IN_CLUSTER' | 'WRONG_MEMBER' | 'NO_CLUSTER' | 'NO_DATA' | 'DISCOVERY_EXISTING',
    message: string,
  ) {
    super(message);
    this.name = 'BootstrapError';
  }
}

export async function bootstrap(opts: MemberOptions): Promise<Bootstrapped> {
  const clock = (opts.runtime ?? realRuntime).clock;
  const started = clock.monotonic();
  const lock = DataDirLock.acquire(opts.dataDir);
  try {
    settleInterruptedRewrite(opts.dataDir, opts.logger);
    const snapshots = new SnapshotStore(opts.dataDir, {
      maxSnapshots: unlimitedIfZero(opts.maxSnapshots),
      logger: opts.logger,
    });
    const seconds = () => (clock.monotonic() - started) / 1000;
    let b: Omit<Bootstrapped, 'lock' | 'ids'>;
    if (Wal.exists(opts.dataDir)) {
      const source = opts.initialClusterSource?.kind ?? 'static';
      if (source !== 'static') {
        opts.logger.info(
          { dataDir: opts.dataDir },
          `the data dir holds a member: ignoring ${source === 'srv' ? 'discovery-srv' : 'discovery'}`,
        );
      }
      if (opts.forceNewCluster) await forceNewCluster(opts, snapshots);
      b = restart(opts, snapshots, seconds);
    } else {
      if (opts.forceNewCluster) {
        throw new BootstrapError(
          'NO_DATA',
          `force-new-cluster: data dir ${opts.dataDir} holds no member (no log in member/wal): ` +
            "point data-dir at a kvctl backup or a surviving member's data dir",
        );
      }
      const initial = await initialCluster(opts);
      b =
        opts.initialClusterState === 'new'
          ? createCluster(opts, initial, snapshots, seconds)
          : await joinCluster(opts, initial, snapshots, seconds);
    }
    const ids = new ProposalIds(new CounterFile(join(opts.dataDir, 'member', 'proposal-ids')));
    return { ...b, lock, ids };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** etcd's max-snapshots / max-wals: 0 means keep them all. */
const unlimitedIfZero = (n: number): number => (n === 0 ? Number.MAX_SAFE_INTEGER : n);

function walOptions(opts: MemberOptions, memberId: string, clusterId: string) {
  return {
    memberId,
    clusterId,
    segmentSize: opts.segmentSize,
    maxWals: unlimitedIfZero(opts.maxWals),
    logger: opts.logger,
    onFsync: (ms: number) => opts.metrics.walFsync.observe(ms / 1000),
  };
}

/** What a data dir holds: the newest snapshot and the committed log after it, applied. */
interface Recovered {
  readonly identity: { memberId: string; clusterId: string };
  readonly snapshot: Snapshot | null;
  readonly sm: StateMachine;
  readonly wal: Wal;
  readonly hardState: HardState | null;
  readonly entries: Entry[];
  readonly applied: Index;
  readonly appliedTerm: Term;
  readonly replayed: number;
}

function recover(opts: MemberOptions, snapshots: SnapshotStore): Recovered {
  const log = opts.logger;
  const intervalMs = opts.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const identity = Wal.identity(opts.dataDir);
  const snapshot = snapshots.loadNewest();
  const sm = snapshot ? StateMachine.fromSnapshotData(snapshot.data) : new StateMachine();
  const fromIndex = snapshot ? snapshot.meta.index : asIndex(0);
  const reading = new Progress({
    intervalMs,
    report: (p) =>
      log.info({ segmentsRead: p.done, segments: p.total, perSecond: round1(p.perSecond) }, 'reading the log'),
  });
  const { wal, recovered } = Wal.open(opts.dataDir, fromIndex, {
    ...walOptions(opts, identity.memberId, identity.clusterId),
    onSegmentRead: (read, of) => reading.update(read, of),
  });
  const commit = recovered.hardState?.commit ?? 0;
  const toApply = Math.max(0, Math.min(commit, recovered.entries.at(-1)?.index ?? 0) - fromIndex);
  const applying = new Progress({
    intervalMs,
    report: (p) =>
      log.info({ replayed: p.done, entries: p.total, perSecond: Math.round(p.perSecond) }, 'replaying the log'),
  });
  let applied = fromIndex;
  let appliedTerm = snapshot ? snapshot.meta.term : asTerm(0);
  let replayed = 0;
  for (const e of recovered.entries) {
    if (e.index > commit) break;
    try {
      applyCommitted(sm, e, opts.dataDir);
    } catch (err) {
      wal.close();
      throw err;
    }
    applied = e.index;
    appliedTerm = e.term;
    replayed++;
    if ((replayed & 1023) === 0) applying.update(replayed, toApply);
  }
  return {
    identity,
    snapshot,
    sm,
    wal,
    hardState: recovered.hardState,
    entries: recovered.entries,
    applied,
    appliedTerm,
    replayed,
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function restart(
  opts: MemberOptions,
  snapshots: SnapshotStore,
  seconds: () => number,
): Omit<Bootstrapped, 'lock' | 'ids'> {
  const r = recover(opts, snapshots);
  const id = asMemberId(r.identity.memberId);
  const self = r.sm.registry.get(id);
  if (self && self.name !== '' && self.name !== opts.name) {
    r.wal.close();
    throw new BootstrapError(
      'WRONG_MEMBER',
      `data dir ${opts.dataDir} belongs to member "${self.name}" (${id}), not "${opts.name}": use that member's name or another data-dir`,
    );
  }
  const voters = r.sm.voters();
  return {
    id,
    clusterId: r.identity.clusterId,
    sm: r.sm,
    wal: r.wal,
    snapshots,
    applied: r.applied,
    appliedTerm: r.appliedTerm,
    voters,
    restore: { hardState: r.hardState, snapshot: r.snapshot, entries: r.entries, conf: { voters }, applied: r.applied },
    snapshotIndex: r.snapshot ? r.snapshot.meta.index : 0,
    replayed: r.replayed,
    seconds: seconds(),
  };
}

/**
 * etcd's force-new-cluster: the committed state of the data dir becomes a
 * one-member cluster with a new cluster id, this member alone (at its
 * advertised peer URLs), every other member removed. Keys, indexes and TTLs
 * are the recovered ones; uncommitted entries are dropped.
 */
async function forceNewCluster(opts: MemberOptions, snapshots: SnapshotStore): Promise<void> {
  const r = recover(opts, snapshots);
  r.wal.close();
  if (r.applied === 0) {
    throw new BootstrapError(
      'NO_DATA',
      `force-new-cluster: data dir ${opts.dataDir} holds no committed entry to start a cluster from`,
    );
  }
  const id = asMemberId(r.identity.memberId);
  const before = r.sm.registry.list();
  const others = before.filter((m) => m.id !== id).map((m) => m.id);
  const self = { id, name: opts.name, peerURLs: [...opts.advertisePeerURLs], clientURLs: [] };
  r.sm.registry.replace([self], [...r.sm.registry.removed(), ...others]);
  const clusterId = await rewriteAsNewCluster(opts.dataDir, {
    memberId: id,
    applied: r.applied,
    appliedTerm: r.appliedTerm,
    term: asTerm(Math.max(r.hardState?.term ?? 0, r.appliedTerm)),
    state: r.sm.snapshotData(),
    wal: { segmentSize: opts.segmentSize, maxWals: unlimitedIfZero(opts.maxWals), logger: opts.logger },
  });
  opts.logger.warn(
    {
      id,
      cluster: clusterId,
      previousCluster: r.identity.clusterId,
      removed: others,
      index: r.applied,
      keys: r.sm.store.nodeCount,
    },
    'force-new-cluster: started a new one-member cluster from the data dir; remove force-new-cluster before this member restarts, ' +
      'and add members with kvctl member add',
  );
}

/** The members of the cluster a member without a data dir starts or joins, and which of them it is. */
interface InitialCluster {
  readonly members: readonly InitialMember[];
  /** Index of this member in members, -1 when it is not listed. */
  readonly self: number;
  /** Mixed into member ids: initial-cluster-token, or the discovery URL (as etcd does). */
  readonly token: string;
}

async function initialCluster(opts: MemberOptions): Promise<InitialCluster> {
  const source = opts.initialClusterSource ?? { kind: 'static' };
  switch (source.kind) {
    case 'static':
      return {
        members: opts.initialCluster,
        self: opts.initialCluster.findIndex((m) => m.name === opts.name),
        token: opts.initialClusterToken,
      };
    case 'srv': {
      const found = await srvCluster({
        domain: source.domain,
        serviceName: source.serviceName,
        resolvers: source.resolvers,
        peerURLs: opts.advertisePeerURLs,
        logger: opts.logger,
      });
      return { members: found.members, self: found.self, token: opts.initialClusterToken };
    }
    case 'discovery': {
      if (opts.initialClusterState === 'existing') {
        throw new BootstrapError(
          'DISCOVERY_EXISTING',
          'discovery bootstraps a new cluster, but initial-cluster-state is existing: to add this member to a running cluster, ' +
            'run kvctl member add, then start it with initial-cluster listing the members (and no discovery)',
        );
      }
      const token = source.url;
      const id = computeMemberId(opts.advertisePeerURLs, token);
      opts.logger.info({ discovery: source.url, id, proxy: source.proxy }, 'bootstrapping the cluster by discovery');
      const members = await discoverCluster({
        url: source.url,
        proxy: source.proxy,
        tls: source.tls,
        id,
        name: opts.name,
        peerURLs: opts.advertisePeerURLs,
        logger: opts.logger,
        retry: source.retry,
        fallback: source.fallback,
        probe: (ms) => describeRunningCluster(ms, opts),
      });
      const initial = { members, self: members.findIndex((m) => m.name === opts.name), token };
      await refuseIfAlreadyBootstrapped(opts, initial, asMemberId(id), source.url);
      return initial;
    }
  }
}

/**
 * etcd's isMemberBootstrapped: a member whose data dir is gone must not
 * bootstrap again into the cluster its discovery token formed (it would come
 * back without its log and its votes). The other members are asked; one that
 * lists this member as started (it published client URLs), or that runs
 * another cluster, means the token was used up.
 */
async function refuseIfAlreadyBootstrapped(
  opts: MemberOptions,
  initial: InitialCluster,
  id: MemberId,
  url: string,
): Promise<void> {
  const others = initial.members.filter((_, i) => i !== initial.self).flatMap((m) => m.peerURLs);
  const running = await fetchCluster(others, opts.peerClientTls, 2000);
  if (!running) return;
  const clusterId = computeClusterId(initial.members.map((m) => computeMemberId(m.peerURLs, initial.token)));
  const me = running.members.find((m) => m.id === id);
  if (me && me.clientURLs.length > 0) {
    throw new DiscoveryError(
      'TOKEN_REUSED',
      `discovery: member ${opts.name} (${id}) has already been bootstrapped: the cluster discovery token ${url} formed runs ` +
        `(cluster ${running.clusterId}, answering at ${running.url}) and lists this member as started, but data dir ${opts.dataDir} holds no member: ` +
        `restore its data dir, or remove it (kvctl member remove ${id}), add it back (kvctl member add ${opts.name} ${opts.advertisePeerURLs[0]}) ` +
        'and start it with initial-cluster and initial-cluster-state existing',
    );
  }
  if (running.clusterId !== clusterId) {
    throw new DiscoveryError(
      'TOKEN_REUSED',
      `discovery: the members discovery token ${url} lists already run cluster ${running.clusterId} (answering at ${running.url}), ` +
        `not the cluster ${clusterId} this member would start: use a new discovery token`,
    );
  }
}

/** "member m1 answers at http://...: cluster c" when one of these members runs, else null. */
async function describeRunningCluster(
  members: readonly DiscoveredMember[],
  opts: MemberOptions,
): Promise<string | null> {
  const running = await fetchCluster(
    members.flatMap((m) => m.peerURLs),
    opts.peerClientTls,
    2000,
  );
  return running ? `cluster ${running.clusterId} answers at ${running.url}` : null;
}

function createCluster(
  opts: MemberOptions,
  initial: InitialCluster,
  snapshots: SnapshotStore,
  seconds: () => number,
): Omit<Bootstrapped, 'lock' | 'ids'> {
  const self = initial.members[initial.self];
  if (!self) {
    throw new BootstrapError(
      'NOT_IN_CLUSTER',
      `member "${opts.name}" is not in initial-cluster (${describeCluster(initial.members)}): add ${opts.name}=${opts.advertisePeerURLs.join(',')} to it`,
    );
  }
  const members = initial.members.map((m) => ({
    id: computeMemberId(m.peerURLs, initial.token),
    name: m.name,
    peerURLs: m.peerURLs,
  }));
  const id = computeMemberId(self.peerURLs, initial.token);
  const clusterId = computeClusterId(members.map((m) => m.id));
  const wal = Wal.create(opts.dataDir, walOptions(opts, id, clusterId));
  // Every member writes the same first entries, so every log starts alike.
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const entries: Entry[] = sorted.map((m, i) => ({
    term: asTerm(1),
    index: asIndex(i + 1),
    type: 'confChange',
    data: encodeMembershipChange({ type: 'add', id: m.id, name: m.name, peerURLs: m.peerURLs, origin: '', seq: 0 }),
  }));
  const hardState: HardState = { term: asTerm(1), vote: NO_MEMBER, commit: asIndex(entries.length) };
  wal.append(entries, hardState);
  const sm = new StateMachine();
  for (const e of entries) sm.apply(e);
  const voters = sm.voters();
  return {
    id,
    clusterId,
    sm,
    wal,
    snapshots,
    applied: asIndex(entries.length),
    appliedTerm: asTerm(1),
    voters,
    restore: { hardState, snapshot: null, entries, conf: { voters }, applied: asIndex(entries.length) },
    snapshotIndex: 0,
    replayed: 0,
    seconds: seconds(),
  };
}

async function joinCluster(
  opts: MemberOptions,
  initial: InitialCluster,
  snapshots: SnapshotStore,
  seconds: () => number,
): Promise<Omit<Bootstrapped, 'lock' | 'ids'>> {
  const peers = initial.members.filter((_, i) => i !== initial.self).flatMap((m) => m.peerURLs);
  const cluster = await fetchCluster(peers, opts.peerClientTls, 3000);
  if (!cluster) {
    throw new BootstrapError(
      'NO_CLUSTER',
      `initial-cluster-state is existing but no member of initial-cluster answered at ${peers.join(', ') || '(none listed)'}: start them first, or use initial-cluster-state: new`,
    );
  }
  const self = cluster.members.find((m) => m.peerURLs.some((u) => opts.advertisePeerURLs.includes(u)));
  if (!self) {
    throw new BootstrapError(
      'NOT_IN_CLUSTER',
      `this member's peer URLs (${opts.advertisePeerURLs.join(',')}) are not in the cluster's member list: add it first with POST /v2/members or kvctl member add`,
    );
  }
  const id = asMemberId(self.id);
  const wal = Wal.create(opts.dataDir, walOptions(opts, id, cluster.clusterId));
  const sm = new StateMachine(undefined, new MemberRegistry(cluster.members));
  const voters = sm.voters();
  return {
    id,
    clusterId: cluster.clusterId,
    sm,
    wal,
    snapshots,
    applied: asIndex(0),
    appliedTerm: asTerm(0),
    voters,
    restore: { hardState: null, snapshot: null, entries: [], conf: { voters } },
    snapshotIndex: 0,
    replayed: 0,
    seconds: seconds(),
  };
}

/** Applies a committed entry; one that cannot be applied throws EntryApplyError naming it. */
export function applyCommitted(sm: StateMachine, e: Entry, dataDir: string): Applied {
  try {
    return sm.apply(e);
  } catch (err) {
    throw new EntryApplyError(e, err, dataDir);
  }
}

function describeCluster(members: readonly InitialMember[]): string {
  return members.map((m) => `${m.name}=${m.peerURLs.join(',')}`).join(',');
}

/** Asks the peer URLs (all at once) for the member list (GET /members on the peer port); the first answer wins. */
async function fetchCluster(
  urls: readonly string[],
  tls: MemberOptions['peerClientTls'],
  timeoutMs: number,
): Promise<{ clusterId: string; members: MemberInfo[]; url: string } | null> {
  if (urls.length === 0) return null;
  const asks = urls.map(async (url) => {
    const body = (await fetchPeerJSON(url, '/members', { clientTls: tls ?? null, timeoutMs })) as {
      clusterId?: unknown;
      members?: unknown;
    };
    if (typeof body.clusterId === 'string' && Array.isArray(body.members))
      return { clusterId: body.clusterId, members: body.members as MemberInfo[], url };
    throw new Error(`${url}: not a member list`);
  });
  try {
    return await Promise.any(asks);
  } catch {
    return null;
  }
}
