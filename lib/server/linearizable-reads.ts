// Quorum reads (ReadIndex): reads queued meanwhile share one round; a round
// asks raft for a read point, and its reads go ahead once the member has
// applied up to that point. A round lost on the way (a leader change, a
// dropped message) is sent again under a new context; every read ends, served
// or with an error, by its deadline. Everything here is bounded: past a limit
// a read gets etcd's "too many requests" at once.

import { present } from '../assert.js';
import type { Scheduler, Timer } from '../runtime/index.js';
import { requestTimedOut, tooManyRequests } from './errors.js';

export interface LinearizableReadsOptions {
  readonly timeoutMs: number;
  readonly scheduler: Scheduler;
  /** Reads not yet served (queued or in a round), at most. */
  readonly maxPending: number;
  /** Rounds in flight (sent, and not yet served: waiting for the read point or for the apply loop), at most. */
  readonly maxRounds: number;
  /** Ticks a round may wait for its read point before it is sent again. */
  readonly retryTicks: number;
  /** A context no round of this member ever had, not even before a restart (a late answer must not match a new round). */
  readonly newContext: () => string;
  /** Asks raft for a read point under ctx; false when it cannot now (no leader, or the leader is full). */
  readonly readIndex: (ctx: string) => boolean;
}

interface Read {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  readonly timer: Timer;
  /** The round it is in; null while queued. */
  round: Round | null;
}

interface Round {
  readonly ctx: string;
  readonly reads: Set<Read>;
  readonly sentAtTick: number;
  /** The read point, once confirmed. */
  index: number;
}

export class LinearizableReads {
  private queued = new Set<Read>();
  /** Rounds waiting for their read point, by context. */
  private readonly unconfirmed = new Map<string, Round>();
  /** Rounds with a read point, waiting for the apply loop to reach it, by read point. */
  private waitingApply: Round[] = [];
  private appliedIndex = 0;
  private ticks = 0;
  private reads = 0;

  constructor(private readonly opts: LinearizableReadsOptions) {}

  /** Reads not yet served. */
  get pending(): number {
    return this.reads;
  }

  /** Rounds in flight: waiting for a read point or for the apply loop. */
  get rounds(): number {
    return this.unconfirmed.size + this.waitingApply.length;
  }

  /** Resolves once this member has applied everything committed before the call. */
  wait(): Promise<void> {
    if (this.reads >= this.opts.maxPending) return Promise.reject(tooManyRequests());
    return new Promise<void>((resolve, reject) => {
      const read: Read = {
        resolve,
        reject,
        timer: this.opts.scheduler.after(this.opts.timeoutMs, () => this.expire(read)),
        round: null,
      };
      this.queued.add(read);
      this.reads++;
    });
  }

  /** Sends the queued reads as one round, when a round may be in flight and raft takes it. */
  send(): void {
    if (this.queued.size === 0 || this.rounds >= this.opts.maxRounds) return;
    const ctx = this.opts.newContext();
    if (!this.opts.readIndex(ctx)) return;
    const round: Round = { ctx, reads: this.queued, sentAtTick: this.ticks, index: 0 };
    for (const r of round.reads) r.round = round;
    this.queued = new Set();
    this.unconfirmed.set(ctx, round);
  }

  /** Raft's ReadState: the round ctx may read once index is applied. Unknown contexts (given up, or of another process) are ignored. */
  confirmed(ctx: string, index: number): void {
    const round = this.unconfirmed.get(ctx);
    if (round === undefined) return;
    this.unconfirmed.delete(ctx);
    round.index = index;
    if (index <= this.appliedIndex) {
      this.serve(round);
      return;
    }
    let at = this.waitingApply.length;
    while (at > 0 && present(this.waitingApply[at - 1], '0 < at <= length').index > index) at--;
    this.waitingApply.splice(at, 0, round);
  }

  /** The apply loop reached index: rounds whose read point it covers are served. */
  applied(index: number): void {
    this.appliedIndex = index;
    let n = 0;
    while (n < this.waitingApply.length && present(this.waitingApply[n], 'n < length').index <= index) n++;
    if (n === 0) return;
    const due = this.waitingApply.splice(0, n);
    for (const round of due) this.serve(round);
  }

  /** The leader changed: rounds without a read point may never get one; their reads go back to the queue. */
  leaderChanged(): void {
    for (const round of [...this.unconfirmed.values()]) this.requeue(round);
  }

  /** Time passes: a round unconfirmed for retryTicks is given up and its reads queued again. */
  tick(): void {
    this.ticks++;
    for (const round of [...this.unconfirmed.values()]) {
      if (this.ticks - round.sentAtTick >= this.opts.retryTicks) this.requeue(round);
    }
  }

  rejectAll(err: Error): void {
    const all = [...this.queued];
    for (const round of this.unconfirmed.values()) all.push(...round.reads);
    for (const round of this.waitingApply) all.push(...round.reads);
    this.queued.clear();
    this.unconfirmed.clear();
    this.waitingApply = [];
    this.reads = 0;
    for (const r of all) {
      r.timer.cancel();
      r.reject(err);
    }
  }

  private requeue(round: Round): void {
    this.unconfirmed.delete(round.ctx);
    for (const r of round.reads) {
      r.round = null;
      this.queued.add(r);
    }
  }

  private serve(round: Round): void {
    for (const r of round.reads) {
      r.timer.cancel();
      this.reads--;
      r.resolve();
    }
  }

  private expire(read: Read): void {
    const round = read.round;
    if (round === null) this.queued.delete(read);
    else {
      round.reads.delete(read);
      if (round.reads.size === 0) this.drop(round);
    }
    this.reads--;
    read.reject(requestTimedOut());
  }

  /** A round all of whose reads timed out: nothing waits for it any more. */
  private drop(round: Round): void {
    if (this.unconfirmed.get(round.ctx) === round) this.unconfirmed.delete(round.ctx);
    else this.waitingApply = this.waitingApply.filter((r) => r !== round);
  }
}
