// The raft driver (etcd's raftNode): the ready loop, the order of persisting
// and sending, the tick timer and the peer events. It keeps no fsync policy
// and no role check of its own: the Ready says which messages may leave
// before the sync and which only after, and whether a sync is needed.

import type { Logger } from 'pino';
import { AssertionFailure, assert } from '../assert.js';
import type { Raft } from '../raft/index.js';
import {
  type Entry,
  type HardState,
  type MemberId,
  type Message,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
} from '../raft/index.js';
import type { Runtime, Timer } from '../runtime/index.js';
import { sleep } from '../runtime/index.js';
import { StorageError } from '../storage/index.js';
import { RefusalLog } from '../tls/index.js';
import { EntryApplyError } from './errors.js';
import type { LogStorage, PeerEvents, RaftTransport, SnapshotStorage } from './ports.js';

/** What the member does with each part of a Ready, in the order the node calls it. */
export interface ReadyHandler {
  /** The ready loop is about to ask raft for a Ready: work batched since the last call goes to raft. */
  turn(): void;
  softState(role: Role, leader: MemberId): void;
  /** A snapshot from the leader is on disk: the state machine becomes it. */
  restore(s: Snapshot): void;
  apply(committed: readonly Entry[]): void;
  readStates(states: readonly ReadState[]): void;
  /** The Ready is handled (snapshot policy). */
  handled(): void;
  /** A tick passed (after raft's). */
  tick(): void;
}

/** What goes by on the wire, for stats. */
export interface TrafficObserver {
  sent(msgs: readonly Message[]): void;
  received(m: Message): void;
  unreachable(id: MemberId): void;
}

/** Why the member refuses requests: the log cannot be written (it stays up to say so), or an invariant broke (it stops). */
export type NodeFailure =
  | { readonly kind: 'storage'; readonly reason: string }
  | { readonly kind: 'fatal'; readonly reason: string; readonly error: Error };

export interface RaftNodeOptions {
  readonly raft: Raft;
  readonly log: LogStorage;
  readonly snapshots: SnapshotStorage;
  readonly transport: RaftTransport;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly heartbeatMs: number;
  readonly handler: ReadyHandler;
  readonly traffic: TrafficObserver;
  readonly onFailure: (f: NodeFailure) => void;
}

/** Ready batches handled per turn of the event loop before yielding. */
const MAX_READY_ROUNDS = 10_000;

export class RaftNode implements PeerEvents {
  readonly raft: Raft;
  private role: Role = 'follower';
  private lastHardState: HardState | null = null;
  private drainScheduled = false;
  private draining = false;
  private drainIdle: Promise<void> = Promise.resolve();
  private tickTimer: Timer | null = null;
  private failed: NodeFailure | null = null;
  private stopped = false;
  /** Malformed or implausible peer messages, logged at a bounded rate. */
  private readonly droppedMessages: RefusalLog;

  constructor(private readonly opts: RaftNodeOptions) {
    this.raft = opts.raft;
    this.droppedMessages = new RefusalLog(opts.logger, 'dropped a message from a peer', {
      now: () => opts.runtime.clock.now(),
    });
  }

  get failure(): NodeFailure | null {
    return this.failed;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  start(): void {
    this.tickTimer = this.opts.runtime.scheduler.every(this.opts.heartbeatMs, () => {
      if (this.stopped) return;
      this.raft.tick();
      this.opts.handler.tick();
      this.scheduleDrain();
    });
    this.scheduleDrain();
  }

  /** Runs the ready loop soon (once per turn, however often asked). */
  scheduleDrain(): void {
    if (this.drainScheduled || this.stopped) return;
    this.drainScheduled = true;
    this.opts.runtime.scheduler.soon(() => {
      this.drainScheduled = false;
      void this.drain();
    });
  }

  // ---- PeerEvents ----

  message(m: Message): void {
    if (this.stopped) return;
    this.opts.traffic.received(m);
    const dropped = this.raft.step(m);
    if (dropped !== null) this.droppedMessages.refused({ from: m.from, type: m.type, term: m.term, reason: dropped });
    this.scheduleDrain();
  }

  unreachable(id: MemberId): void {
    if (this.stopped) return;
    this.opts.traffic.unreachable(id);
    this.raft.reportUnreachable(id);
    this.scheduleDrain();
  }

  snapshotStatus(id: MemberId, ok: boolean): void {
    if (this.stopped) return;
    this.raft.reportSnapshot(id, ok);
    this.scheduleDrain();
  }

  // ---- the ready loop ----

  private async drain(): Promise<void> {
    if (this.draining || this.stopped || this.failed) return;
    this.draining = true;
    let idle: () => void = () => {};
    this.drainIdle = new Promise<void>((resolve) => (idle = resolve));
    try {
      for (let rounds = 0; !this.stopped; rounds++) {
        // Also before each further round: requests that came in while the last one was flushed join this one.
        this.opts.handler.turn();
        if (rounds >= MAX_READY_ROUNDS || !this.raft.hasReady()) break;
        const rd = this.raft.ready();
        await this.handle(rd);
        if (this.failed) return;
        this.raft.advance(rd);
      }
      if (this.raft.hasReady()) this.scheduleDrain();
    } catch (err) {
      this.fail(err);
    } finally {
      this.draining = false;
      idle();
    }
  }

  private async handle(rd: Ready): Promise<void> {
    const h = this.opts.handler;
    if (rd.softState) this.changeRole(rd.softState.role, rd.softState.leader);
    this.send(rd.sendNow);
    if (rd.snapshot) await this.persistSnapshot(rd.snapshot);
    if (rd.entries.length > 0 || rd.hardState) {
      if (rd.hardState) this.checkHardState(rd.hardState);
      this.opts.log.append(rd.entries, rd.hardState, false);
      if (rd.mustSync) await this.opts.log.flush();
    }
    this.send(rd.sendAfterSync);
    if (rd.snapshot) h.restore(rd.snapshot);
    h.apply(rd.committed);
    h.readStates(rd.readStates);
    h.handled();
  }

  private changeRole(role: Role, leader: MemberId): void {
    // etcd panics on this transition: a leader steps down to follower first.
    assert(!(this.role === 'leader' && (role === 'candidate' || role === 'preCandidate')), `a leader became ${role}`, {
      term: this.raft.currentTerm(),
    });
    this.role = role;
    this.opts.handler.softState(role, leader);
  }

  /** The commit index never goes back, nor does the term. */
  private checkHardState(hs: HardState): void {
    const prev = this.lastHardState;
    if (prev) {
      assert(hs.term >= prev.term, `term went back from ${prev.term} to ${hs.term}`);
      assert(hs.commit >= prev.commit, `commit index went back from ${prev.commit} to ${hs.commit}`);
    }
    this.lastHardState = hs;
  }

  private async persistSnapshot(s: Snapshot): Promise<void> {
    const file = await this.opts.snapshots.save(s);
    this.opts.log.markSnapshot(s.meta);
    this.opts.logger.info({ file, index: s.meta.index, term: s.meta.term }, 'saved snapshot from leader');
  }

  private send(msgs: readonly Message[]): void {
    if (msgs.length === 0) return;
    this.opts.traffic.sent(msgs);
    this.opts.transport.send(msgs);
  }

  /**
   * After the member saved a snapshot of its own up to snapshot.meta.index:
   * the log is marked and compacted, keeping keepEntries for slow followers.
   * Skipped when a newer snapshot from the leader was installed meanwhile.
   */
  async compactTo(snapshot: Snapshot, newerThan: () => boolean, keepEntries: number): Promise<boolean> {
    await this.betweenDrains();
    if (this.stopped || this.failed || !newerThan()) return false;
    this.opts.log.markSnapshot(snapshot.meta);
    this.raft.compact(snapshot, keepEntries);
    const oldest = this.opts.snapshots.oldestIndex();
    if (oldest !== null) this.opts.log.releaseTo(oldest);
    return true;
  }

  /** Resolves when no Ready is being handled (the log is not being written or flushed). */
  async betweenDrains(): Promise<void> {
    while (this.draining) await this.drainIdle;
  }

  /** Hands leadership to the most caught-up follower, waiting at most waitMs for it to take over. */
  async transferLeadershipAway(waitMs: number): Promise<void> {
    let best: { id: MemberId; match: number } | null = null;
    for (const [key, p] of Object.entries(this.raft.status().progress)) {
      const id = key as MemberId;
      if (id !== this.raft.id && (!best || p.match > best.match)) best = { id, match: p.match };
    }
    if (!best) return;
    this.opts.logger.info({ to: best.id }, 'transferring leadership before stopping');
    this.raft.transferLeadership(best.id);
    this.scheduleDrain();
    const clock = this.opts.runtime.clock;
    const deadline = clock.monotonic() + waitMs;
    while (this.role === 'leader' && clock.monotonic() < deadline)
      await sleep(this.opts.runtime.scheduler, this.opts.heartbeatMs / 2);
  }

  /** Stops ticking and handling Readies; waits for the Ready in hand, then closes the log. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.tickTimer?.cancel();
    this.droppedMessages.close();
    await this.betweenDrains();
    this.opts.log.close();
  }

  /**
   * A StorageError means the disk refused a write: refuse requests, stay up
   * to say so. Anything else (a failed assertion, an entry that cannot be
   * applied) is a broken invariant: fail-stop with a fatal log line.
   */
  private fail(err: unknown): void {
    if (err instanceof StorageError) {
      this.failed = { kind: 'storage', reason: `write-ahead log failed: ${err.message}` };
      this.opts.logger.error({ err: err.message }, 'write-ahead log failed: refusing writes from now on');
    } else {
      const error = err instanceof Error ? err : new Error(String(err));
      const reason = error instanceof EntryApplyError ? error.message : `internal error: ${error.message}`;
      this.failed = { kind: 'fatal', reason, error };
      if (error instanceof EntryApplyError)
        this.opts.logger.fatal(
          { index: error.index, term: error.term, type: error.type, data: error.dataHex },
          error.message,
        );
      else if (error instanceof AssertionFailure)
        this.opts.logger.fatal(
          { assertion: error.message, ...error.details, stack: error.stack },
          `assertion failed: ${error.message}; stopping`,
        );
      else this.opts.logger.fatal({ err: error.message, stack: error.stack }, `${reason}; stopping`);
    }
    this.opts.onFailure(this.failed);
  }
}
