// Start-up: recover a member from its data dir (newest snapshot, then the log
// after it, replayed into the key tree), or create a new member's data dir
// (a new cluster from initial-cluster, or joining an existing one).

import type { RaftConfig } from '../raft/index.js';
import { asIndex, asMemberId, asTerm, NO_MEMBER, type Entry, type HardState, type Index, type MemberId, type Term } from '../raft/types.js';
import { join } from 'node:path';
import { CounterFile, DataDirLock, SnapshotStore, Wal } from '../storage/index.js';
import { fetchPeerJSON } from '../transport/index.js';
import { EntryApplyError } from './errors.js';
import { computeClusterId, computeMemberId } from './ids.js';
import { MemberRegistry } from './members.js';
import type { MemberOptions } from './options.js';
import { encodeMembershipChange } from './proposal.js';
import { ProposalIds } from './proposal-ids.js';
import type { MemberInfo } from './service.js';
import { StateMachine, type Applied } from './state-machine.js';

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
    readonly code: 'NOT_IN_CLUSTER' | 'WRONG_MEMBER' | 'NO_CLUSTER',
    message: string,
  ) {
    super(message);
    this.name = 'BootstrapError';
  }
}

export async function bootstrap(opts: MemberOptions): Promise<Bootstrapped> {
  const started = process.hrtime.bigint();
  const lock = DataDirLock.acquire(opts.dataDir);
  try {
    const ids = new ProposalIds(new CounterFile(join(opts.dataDir, 'member', 'proposal-ids')));
    const snapshots = new SnapshotStore(opts.dataDir, { maxSnapshots: unlimitedIfZero(opts.maxSnapshots), logger: opts.logger });
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    let b: Omit<Bootstrapped, 'lock' | 'ids'>;
    if (Wal.exists(opts.dataDir)) b = restart(opts, snapshots, seconds);
    else b = opts.initialClusterState === 'new' ? createCluster(opts, snapshots, seconds) : await joinCluster(opts, snapshots, seconds);
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

function restart(opts: MemberOptions, snapshots: SnapshotStore, seconds: () => number): Omit<Bootstrapped, 'lock' | 'ids'> {
  const identity = Wal.identity(opts.dataDir);
  const snapshot = snapshots.loadNewest();
  const sm = snapshot ? StateMachine.fromSnapshotData(snapshot.data) : new StateMachine();
  const fromIndex = snapshot ? snapshot.meta.index : asIndex(0);
  const { wal, recovered } = Wal.open(opts.dataDir, fromIndex, walOptions(opts, identity.memberId, identity.clusterId));
  const commit = recovered.hardState?.commit ?? 0;
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
  }
  const id = asMemberId(identity.memberId);
  const self = sm.registry.get(id);
  if (self && self.name !== '' && self.name !== opts.name) {
    wal.close();
    throw new BootstrapError(
      'WRONG_MEMBER',
      `data dir ${opts.dataDir} belongs to member "${self.name}" (${id}), not "${opts.name}": use that member's name or another data-dir`,
    );
  }
  const voters = sm.voters();
  return {
    id,
    clusterId: identity.clusterId,
    sm,
    wal,
    snapshots,
    applied,
    appliedTerm,
    voters,
    restore: { hardState: recovered.hardState, snapshot, entries: recovered.entries, conf: { voters }, applied },
    snapshotIndex: fromIndex,
    replayed,
    seconds: seconds(),
  };
}

function createCluster(opts: MemberOptions, snapshots: SnapshotStore, seconds: () => number): Omit<Bootstrapped, 'lock' | 'ids'> {
  const self = opts.initialCluster.find((m) => m.name === opts.name);
  if (!self) {
    throw new BootstrapError(
      'NOT_IN_CLUSTER',
      `member "${opts.name}" is not in initial-cluster (${describeCluster(opts)}): add ${opts.name}=${opts.advertisePeerURLs.join(',')} to it`,
    );
  }
  const members = opts.initialCluster.map((m) => ({ id: computeMemberId(m.peerURLs, opts.initialClusterToken), name: m.name, peerURLs: m.peerURLs }));
  const id = computeMemberId(self.peerURLs, opts.initialClusterToken);
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

async function joinCluster(opts: MemberOptions, snapshots: SnapshotStore, seconds: () => number): Promise<Omit<Bootstrapped, 'lock' | 'ids'>> {
  const peers = opts.initialCluster.filter((m) => m.name !== opts.name).flatMap((m) => m.peerURLs);
  const cluster = await fetchCluster(peers, opts.peerClientTls);
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

function describeCluster(opts: MemberOptions): string {
  return opts.initialCluster.map((m) => `${m.name}=${m.peerURLs.join(',')}`).join(',');
}

/** Asks each peer URL in turn for the member list (GET /members on the peer port). */
async function fetchCluster(urls: readonly string[], tls: MemberOptions['peerClientTls']): Promise<{ clusterId: string; members: MemberInfo[] } | null> {
  for (const url of urls) {
    try {
      const body = (await fetchPeerJSON(url, '/members', { clientTls: tls ?? null, timeoutMs: 3000 })) as { clusterId?: unknown; members?: unknown };
      if (typeof body.clusterId === 'string' && Array.isArray(body.members)) return { clusterId: body.clusterId, members: body.members as MemberInfo[] };
    } catch {
      continue;
    }
  }
  return null;
}
