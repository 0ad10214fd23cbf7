// The apply side of a member (etcd's apply loop): committed entries go to the
// key tree and the member list in log order, a snapshot from the leader
// replaces both, and every snapshot-count entries the member saves a
// snapshot of its own so the log can be cut.

import type { Logger } from 'pino';
import { assert } from '../assert.js';
import type { Raft } from '../raft/index.js';
import type { Entry, Index, MemberId, Snapshot, Term } from '../raft/index.js';
import type { Metrics } from '../metrics/index.js';
import type { Runtime } from '../runtime/index.js';
import { yieldTurn } from '../runtime/index.js';
import type { WatchHandle } from '../store/index.js';
import { applyCommitted } from './bootstrap.js';
import type { MembershipChange } from '../proposal/index.js';
import type { RaftTransport } from './ports.js';
import { peersFollowChange, peersFollowMembers } from './remote-peers.js';
import type { ApplyResult, StateMachine } from '../state/index.js';

/** At most how many entries a leader keeps behind a snapshot for followers that are only a little behind (and never more than snapshot-count). */
const CATCH_UP_ENTRIES = 5000;

export interface ApplierOptions {
  readonly self: MemberId;
  readonly sm: StateMachine;
  readonly applied: Index;
  readonly appliedTerm: Term;
  readonly snapshotCount: number;
  /** Where the log lives, named when an entry cannot be applied. */
  readonly dataDir: string;
  readonly raft: Raft;
  readonly transport: RaftTransport;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The entry of a request of this member was applied: its client gets result. */
  readonly settle: (seq: number, result: ApplyResult) => void;
  /** Everything up to index is applied (quorum reads wait for this). */
  readonly onApplied: (index: Index) => void;
  /** A TTL sync entry was applied. */
  readonly onSyncApplied: () => void;
  /** A committed change removed this member. */
  readonly onRemovedSelf: () => void;
  /** Saves a snapshot of this member's own and cuts the log; false when a newer one came meanwhile. */
  readonly compactTo: (snapshot: Snapshot, newerThan: () => boolean, keepEntries: number) => Promise<boolean>;
  readonly saveSnapshot: (snapshot: Snapshot) => Promise<string>;
}

export class Applier {
  private appliedIndex: Index;
  private appliedTerm: Term;
  private lastSnapshotIndex: Index;
  private snapshotInFlight = false;
  /** Ends the open watches: called when a snapshot from the leader replaces the tree they watch. */
  private readonly watchEnds = new Set<() => void>();

  constructor(private readonly opts: ApplierOptions) {
    this.appliedIndex = opts.applied;
    this.appliedTerm = opts.appliedTerm;
    this.lastSnapshotIndex = opts.applied;
  }

  get applied(): Index {
    return this.appliedIndex;
  }

  /** Applies committed entries in log order; entries already applied (replayed at start) are skipped. */
  apply(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.index <= this.appliedIndex) continue;
      assert(
        e.index === this.appliedIndex + 1,
        `applying entry ${e.index} out of order: applied is ${this.appliedIndex}`,
      );
      const a = applyCommitted(this.opts.sm, e, this.opts.dataDir);
      this.appliedIndex = e.index;
      this.appliedTerm = e.term;
      if (a.internalError)
        this.opts.logger.error({ err: a.internalError, index: e.index }, 'store rejected an entry unexpectedly');
      if (a.sync) this.opts.onSyncApplied();
      if (a.change) this.changeMembership(a.change);
      if (a.origin === this.opts.self && a.seq > 0) this.opts.settle(a.seq, a.result);
    }
    this.opts.onApplied(this.appliedIndex);
  }

  /** A snapshot from the leader (already on disk) replaces the tree and the member list. */
  restore(s: Snapshot): void {
    assert(s.meta.index > this.appliedIndex, `snapshot ${s.meta.index} is not newer than applied ${this.appliedIndex}`);
    this.opts.sm.restore(s.data);
    const ends = [...this.watchEnds];
    this.watchEnds.clear();
    for (const end of ends) end();
    peersFollowMembers(this.opts.transport, this.opts.self, this.opts.sm.registry.list());
    this.appliedIndex = s.meta.index;
    this.appliedTerm = s.meta.term;
    this.lastSnapshotIndex = s.meta.index;
    this.opts.logger.info({ index: s.meta.index, term: s.meta.term }, 'installed snapshot from leader');
    this.opts.onApplied(this.appliedIndex);
  }

  /** Lets a watch be ended when a snapshot replaces the tree it watches. */
  endOnRestore(handle: WatchHandle, onEnd: () => void): WatchHandle {
    this.watchEnds.add(onEnd);
    return {
      cancel: () => {
        this.watchEnds.delete(onEnd);
        handle.cancel();
      },
    };
  }

  private changeMembership(c: MembershipChange): void {
    const id = c.id as MemberId;
    // Idempotent in raft: the bootstrap entries re-add members it already counts.
    if (c.type === 'add' || c.type === 'remove') this.opts.raft.applyConfChange({ type: c.type, id });
    peersFollowChange(this.opts.transport, this.opts.self, c);
    if (id === this.opts.self && c.type === 'remove') this.opts.onRemovedSelf();
    this.opts.logger.info({ change: c.type, id: c.id, peerURLs: c.peerURLs }, 'membership changed');
  }

  /** Every snapshot-count applied entries, a snapshot of this member's own. */
  maybeSnapshot(): void {
    if (this.snapshotInFlight || this.appliedIndex - this.lastSnapshotIndex < this.opts.snapshotCount) return;
    this.snapshotInFlight = true;
    void this.takeSnapshot().finally(() => {
      this.snapshotInFlight = false;
    });
  }

  /**
   * The state is taken synchronously at the call; encoding it yields to the
   * event loop between pieces, so heartbeats and requests go on meanwhile.
   */
  private async takeSnapshot(): Promise<void> {
    const { clock, scheduler } = this.opts.runtime;
    const started = clock.monotonic();
    const meta = { index: this.appliedIndex, term: this.appliedTerm, conf: { voters: this.opts.raft.status().voters } };
    const encoding = this.opts.sm.snapshotDataInPieces(() => yieldTurn(scheduler));
    const pauseMs = Math.round(clock.monotonic() - started);
    const endTimer = this.opts.metrics.snapshotSave.startTimer();
    try {
      const snapshot: Snapshot = { meta, data: await encoding };
      const file = await this.opts.saveSnapshot(snapshot);
      endTimer();
      const keep = Math.min(CATCH_UP_ENTRIES, this.opts.snapshotCount);
      if (!(await this.opts.compactTo(snapshot, () => meta.index > this.lastSnapshotIndex, keep))) return;
      this.lastSnapshotIndex = meta.index;
      this.opts.logger.info(
        { file, index: meta.index, bytes: snapshot.data.length, pauseMs, ms: Math.round(clock.monotonic() - started) },
        'snapshot saved',
      );
    } catch (err) {
      this.opts.logger.error({ err: (err as Error).message }, 'snapshot failed; will retry');
    }
  }
}
