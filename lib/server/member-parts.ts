// The parts of a member, built and wired by start.ts and held by the Member facade.

import { History, ReplicaHashes } from '../history/index.js';
import type { MemberId } from '../raft/index.js';
import type { Runtime } from '../runtime/index.js';
import { fetchPeerJSON } from '../transport/index.js';
import type { Applier } from './applier.js';
import type { Housekeeping } from './housekeeping.js';
import type { LinearizableReads } from './linearizable-reads.js';
import type { MemberStats } from './member-stats.js';
import type { MemberOptions } from './options.js';
import type { RaftTransport, Releasable } from './ports.js';
import type { Proposer } from './proposer.js';
import type { RaftNode } from './raft-node.js';
import { historyCodec, type ApplyResult, type StateMachine } from '../state/index.js';

export interface MemberParts {
  readonly opts: MemberOptions;
  readonly runtime: Runtime;
  readonly id: MemberId;
  readonly clusterId: string;
  readonly sm: StateMachine;
  readonly node: RaftNode;
  readonly proposer: Proposer<ApplyResult>;
  readonly reads: LinearizableReads;
  readonly applier: Applier;
  readonly stats: MemberStats;
  readonly housekeeping: Housekeeping;
  readonly transport: RaftTransport;
  readonly lock: Releasable;
  /** Watches and reads served from the log. */
  readonly history: History;
  /** The replica hash check (the leader's rounds, every member's answers). */
  readonly hashes: ReplicaHashes;
}

/** The history reader and the replica hash check of a member. */
export function historyParts(
  opts: MemberOptions,
  id: MemberId,
  clusterId: string,
  sm: StateMachine,
  node: RaftNode,
): { history: History; hashes: ReplicaHashes } {
  const history = new History({
    dataDir: opts.dataDir,
    codec: historyCodec,
    store: () => sm.store,
    logger: opts.logger,
    maxScans: opts.historyScans,
    // A worker thread costs more CPU per replay (its own module load and cold JIT) than it takes off the event loop.
    ...(opts.historyReplayThread === true ? { replayWorker: import.meta.resolve('./history-worker.js') } : {}),
    onReplay: (purpose) => opts.metrics.historyReplays.inc({ purpose }),
  });
  const hashes = new ReplicaHashes({
    history,
    store: () => sm.store,
    logger: opts.logger,
    self: { id, name: opts.name, peerURLs: opts.advertisePeerURLs },
    members: () => sm.registry.list(),
    isLeader: () => node.isLeader,
    askPeer: (url, path) =>
      fetchPeerJSON(url, path, { clientTls: opts.peerClientTls ?? null, clusterId, timeoutMs: 10_000 }),
    intervalMs: opts.hashCheckIntervalMs ?? 0,
    onCorruption: () => opts.metrics.corruptionDetected.set(1),
  });
  opts.metrics.onCollect(() => opts.metrics.historyOldestIndex.set(history.oldestWatchIndex()));
  return { history, hashes };
}
