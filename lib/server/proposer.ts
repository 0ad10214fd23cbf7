// The proposing side of a member: gives each request an id no process of this
// member ever reuses, hands it to raft, keeps it while no leader can take it,
// and answers its client when the entry carrying that id is applied (or the
// request times out). Every queue here is bounded: past a limit the client
// gets etcd's "too many requests" at once.

import type { Logger } from 'pino';
import type { Scheduler, Timer } from '../runtime/index.js';
import { RaftError, type Proposal } from '../raft/index.js';
import { etcdServerRefusal, requestTimedOut, tooManyRequests } from './errors.js';
import type { ProposalIds } from './proposal-ids.js';

export interface ProposerOptions {
  readonly ids: ProposalIds;
  readonly timeoutMs: number;
  readonly scheduler: Scheduler;
  /** Requests waiting for their entry to be applied, at most. */
  readonly maxPending: number;
  /** Of those, requests waiting for a leader to be known, at most. */
  readonly maxUnproposed: number;
  /**
   * Hands proposals to raft, all or none: true once appended or forwarded, false when no leader
   * can take them now. Throws RaftError('invalid-proposal'), taking none, when one holds data that
   * could not be applied.
   */
  readonly submit: (ps: readonly Proposal[]) => boolean;
  readonly logger: Logger;
  /** Called when a request times out (metrics). */
  readonly onTimeout?: () => void;
}

interface Waiter<T> {
  readonly resolve: (v: T) => void;
  readonly reject: (e: Error) => void;
  readonly timer: Timer;
}

export class Proposer<T> {
  private readonly waiting = new Map<number, Waiter<T>>();
  /**
   * Proposals made since raft last took some, in order: flush() hands them over together, so that
   * the requests of one turn of the event loop go to each follower in one append, not one each.
   */
  private fresh = new Map<number, Proposal>();
  /** Proposals no leader has taken yet, oldest first; proposed again when one is known. */
  private readonly unproposed = new Map<number, Proposal>();

  constructor(private readonly opts: ProposerOptions) {}

  /** Requests waiting for their entry. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Requests waiting for a leader. */
  get queued(): number {
    return this.unproposed.size;
  }

  /** Proposes what make(id) encodes under a fresh id; resolves with what applying it gave. */
  propose(make: (id: number) => Proposal): Promise<T> {
    if (this.waiting.size >= this.opts.maxPending) return Promise.reject(tooManyRequests());
    const id = this.opts.ids.next();
    const p = make(id);
    const done = new Promise<T>((resolve, reject) => {
      const timer = this.opts.scheduler.after(this.opts.timeoutMs, () => this.expire(id));
      this.waiting.set(id, { resolve, reject, timer });
    });
    this.fresh.set(id, p);
    return done;
  }

  /** Hands raft the proposals made since the last call, in order; those no leader takes now wait for one. */
  flush(): void {
    if (this.fresh.size === 0) return;
    const batch = [...this.fresh];
    this.fresh = new Map();
    for (const [id, p] of this.hand(batch)) this.keep(id, p);
  }

  /** A leader is known: proposals kept while there was none go to it, oldest first. */
  retry(): void {
    if (this.unproposed.size === 0) return;
    const left = new Set(this.hand([...this.unproposed]).map(([id]) => id));
    for (const id of [...this.unproposed.keys()]) if (!left.has(id)) this.unproposed.delete(id);
  }

  /**
   * Submits `queue` in order, the normal proposals between two conf changes in one batch and each conf
   * change alone (raft refuses one while another is pending, which must not hold back the rest).
   * Returns what was not taken: everything from the first batch raft refused on.
   */
  private hand(queue: ReadonlyArray<readonly [number, Proposal]>): Array<readonly [number, Proposal]> {
    let i = 0;
    while (i < queue.length) {
      let j = i + 1;
      if (queue[i]?.[1].type !== 'confChange') while (j < queue.length && queue[j]?.[1].type !== 'confChange') j++;
      const left = this.submitBatch(queue.slice(i, j));
      if (left.length > 0) return [...left, ...queue.slice(j)];
      i = j;
    }
    return [];
  }

  /** One batch to raft; returns what it did not take. */
  private submitBatch(batch: ReadonlyArray<readonly [number, Proposal]>): Array<readonly [number, Proposal]> {
    try {
      return this.opts.submit(batch.map(([, p]) => p)) ? [] : [...batch];
    } catch (err) {
      if (!(err instanceof RaftError) || err.code !== 'invalid-proposal') throw err;
      if (batch.length > 1) return batch.flatMap((one) => this.submitBatch([one]));
      // A proposal this member made and cannot apply is a bug: refuse it rather than log it.
      const [[id]] = batch as [readonly [number, Proposal]];
      this.opts.logger.error({ err: err.message, id }, 'refused an own proposal that could not be applied');
      this.settle(id, etcdServerRefusal(err.message));
      return [];
    }
  }

  /** The entry carrying id was applied here: its client gets the result (an Error rejects). */
  settle(id: number, result: T | Error): void {
    const w = this.waiting.get(id);
    if (w === undefined) return;
    this.forget(id, w);
    if (result instanceof Error) w.reject(result);
    else w.resolve(result);
  }

  rejectAll(err: Error): void {
    for (const id of [...this.waiting.keys()]) this.settle(id, err);
  }

  private keep(id: number, p: Proposal): void {
    if (this.unproposed.size >= this.opts.maxUnproposed) this.settle(id, tooManyRequests());
    else this.unproposed.set(id, p);
  }

  private expire(id: number): void {
    const w = this.waiting.get(id);
    if (w === undefined) return;
    this.forget(id, w);
    this.opts.onTimeout?.();
    w.reject(requestTimedOut());
  }

  private forget(id: number, w: Waiter<T>): void {
    w.timer.cancel();
    this.waiting.delete(id);
    this.fresh.delete(id);
    this.unproposed.delete(id);
  }
}
