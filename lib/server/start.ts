// Builds a member: recovers or bootstraps its state from the data dir,
// connects the peer transport, and wires the parts (raft node, proposer,
// linearizable reads, applier, stats, housekeeping) behind the Member
// facade. assembleMember is also how the cluster simulation builds whole
// members on a simulated disk and network.

import { Raft, type RaftConfig } from '../raft/index.js';
import type { Index, MemberId, Term } from '../raft/index.js';
import { realRuntime, type Runtime } from '../runtime/index.js';
import { Applier } from './applier.js';
import { bootstrap } from './bootstrap.js';
import { Housekeeping } from './housekeeping.js';
import { LinearizableReads } from './linearizable-reads.js';
import { Member } from './member.js';
import { historyParts } from './member-parts.js';
import { MemberStats } from './member-stats.js';
import type { MemberOptions } from './options.js';
import type { LogStorage, RaftTransport, Releasable, SnapshotStorage } from './ports.js';
import { proposalProblem } from '../proposal/index.js';
import type { ProposalIds } from './proposal-ids.js';
import { Proposer } from './proposer.js';
import { RaftNode } from './raft-node.js';
import { RemotePeers } from './remote-peers.js';
import type { ApplyResult, StateMachine } from '../state/index.js';

/**
 * Queue limits; past them a client gets etcd's "too many requests". Requests
 * waiting for their entry: the backlog of a member far slower than its load.
 */
const MAX_PENDING_PROPOSALS = 16_384;
/** Requests made while no leader is known (they wait at most the request timeout for one). */
const MAX_UNPROPOSED = 4096;
/** Quorum reads not yet served. */
const MAX_PENDING_READS = 16_384;
/** ReadIndex rounds in flight; reads arriving meanwhile share the next one. */
const MAX_READ_ROUNDS = 64;
/** ReadIndex requests a leader holds for itself and its followers. */
const MAX_LEADER_READ_REQUESTS = 4096;

/** The state a member starts from: recovered from its data dir, or new. */
export interface StartState {
  readonly id: MemberId;
  readonly clusterId: string;
  readonly sm: StateMachine;
  /** Request ids unique across this member's restarts; also read contexts. */
  readonly ids: ProposalIds;
  readonly applied: Index;
  readonly appliedTerm: Term;
  readonly voters: MemberId[];
  readonly restore: NonNullable<RaftConfig['restore']>;
}

/** Everything a member is built from. */
export interface MemberEnvironment {
  readonly opts: MemberOptions;
  readonly runtime: Runtime;
  readonly state: StartState;
  readonly log: LogStorage;
  readonly snapshots: SnapshotStorage;
  readonly lock: Releasable;
  readonly transport: RaftTransport;
}

/** Recovers or bootstraps the member's state, then starts raft, timers and the peer listener. */
export async function startMember(opts: MemberOptions): Promise<Member> {
  const runtime = opts.runtime ?? realRuntime;
  const b = await bootstrap({ ...opts, runtime });
  let member: Member | null = null;
  const peers = new RemotePeers(
    opts,
    b,
    () => member?.peerEvents ?? null,
    (path) => member?.dashboard.answerPeer(path) ?? null,
    (query) => member?.answerHashPeer(query) ?? Promise.resolve(null),
  );
  member = assembleMember({
    opts,
    runtime,
    state: b,
    log: b.wal,
    snapshots: b.snapshots,
    lock: b.lock,
    transport: peers,
  });
  for (const url of opts.listenPeerURLs) await peers.listen(url);
  for (const m of b.sm.registry.list()) if (m.id !== b.id) peers.addPeer(m.id as MemberId, m.peerURLs);
  member.start();
  opts.logger.info(
    {
      id: b.id,
      cluster: b.clusterId,
      applied: b.applied,
      snapshotIndex: b.snapshotIndex,
      replayed: b.replayed,
      seconds: b.seconds,
    },
    'member started',
  );
  return member;
}

/** Wires the parts of a member; the caller starts it (member.start()). */
export function assembleMember(env: MemberEnvironment): Member {
  const { opts, runtime, state } = env;
  const logger = opts.logger;
  const electionTick = Math.max(2, Math.round(opts.electionMs / opts.heartbeatMs));
  const raft = new Raft({
    id: state.id,
    voters: state.voters,
    electionTick,
    heartbeatTick: 1,
    random: () => runtime.random.next(),
    preVote: true,
    checkQuorum: true,
    maxInflight: 256,
    maxMsgBytes: 1 << 20,
    checkProposal: proposalProblem,
    maxPendingReads: MAX_LEADER_READ_REQUESTS,
    restore: state.restore,
  });
  // The parts call back into each other and into the facade, which exist once this function returns.
  let member: Member | null = null;
  const facade = (): Member => {
    if (member === null) throw new Error('a member part called back before the member was assembled');
    return member;
  };
  const proposer = new Proposer<ApplyResult>({
    ids: state.ids,
    timeoutMs: opts.requestTimeoutMs,
    scheduler: runtime.scheduler,
    maxPending: MAX_PENDING_PROPOSALS,
    maxUnproposed: MAX_UNPROPOSED,
    submit: (ps) => raft.propose(ps),
    logger,
    onTimeout: () => opts.metrics.proposalsFailed.inc(),
  });
  const reads = new LinearizableReads({
    timeoutMs: opts.requestTimeoutMs,
    scheduler: runtime.scheduler,
    maxPending: MAX_PENDING_READS,
    maxRounds: MAX_READ_ROUNDS,
    // A round unanswered for an election timeout was lost (a dropped message, a deposed leader).
    retryTicks: electionTick,
    newContext: () => String(state.ids.next()),
    readIndex: (ctx) => raft.readIndex(ctx),
  });
  const stats = new MemberStats({ id: state.id, name: opts.name, clock: runtime.clock, heartbeatMs: opts.heartbeatMs });
  const housekeeping = new Housekeeping({
    runtime,
    logger,
    publish: { op: 'publish', id: state.id, name: opts.name, clientURLs: opts.advertiseClientURLs },
    store: () => state.sm.store,
    isLeader: () => node.isLeader,
    hasLeader: () => raft.status().leader !== '',
    healthy: () => node.failure === null,
    propose: (body) => facade().propose(body),
  });
  const node: RaftNode = new RaftNode({
    raft,
    log: env.log,
    snapshots: env.snapshots,
    transport: env.transport,
    runtime,
    logger,
    heartbeatMs: opts.heartbeatMs,
    traffic: stats,
    onFailure: (f) => facade().failed(f),
    handler: {
      turn: () => facade().sendWaiting(),
      softState: (role, leader) => facade().roleChanged(role, leader),
      restore: (s) => applier.restore(s),
      apply: (committed) => applier.apply(committed),
      readStates: (states) => {
        for (const rs of states) reads.confirmed(rs.ctx, rs.index);
      },
      handled: () => applier.maybeSnapshot(),
      tick: () => {
        reads.tick();
        housekeeping.leaderKnown();
      },
    },
  });
  const applier: Applier = new Applier({
    self: state.id,
    sm: state.sm,
    applied: state.applied,
    appliedTerm: state.appliedTerm,
    snapshotCount: opts.snapshotCount,
    dataDir: opts.dataDir,
    raft,
    transport: env.transport,
    runtime,
    logger,
    metrics: opts.metrics,
    settle: (seq, result) => proposer.settle(seq, result),
    onApplied: (index) => reads.applied(index),
    onSyncApplied: () => housekeeping.syncApplied(),
    onRemovedSelf: () => facade().removedFromCluster(),
    compactTo: (snapshot, newerThan, keep) => node.compactTo(snapshot, newerThan, keep),
    saveSnapshot: (snapshot) => env.snapshots.save(snapshot),
  });
  member = new Member({
    ...historyParts(opts, state.id, state.clusterId, state.sm, node),
    opts,
    runtime,
    id: state.id,
    clusterId: state.clusterId,
    sm: state.sm,
    node,
    proposer,
    reads,
    applier,
    stats,
    housekeeping,
    transport: env.transport,
    lock: env.lock,
  });
  stats.register(opts.metrics, () => ({
    commit: raft.log.committed,
    applied: applier.applied,
    proposalsPending: proposer.pending,
    readsPending: reads.pending,
    watchers: state.sm.store.stats().watchers ?? 0,
    keys: state.sm.store.nodeCount,
    storeIndex: state.sm.store.index,
    peers: env.transport.peerBytes(),
  }));
  return member;
}
