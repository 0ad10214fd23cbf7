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
   * Hands a proposal to raft: true once appended or forwarded, false when no
   * leader can take it now. Throws RaftError('invalid-proposal') for data that could not be applied.
   */
  readonly submit: (p: Proposal) => boolean;
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
    try {
      if (!this.opts.submit(p)) this.keep(id, p);
    } catch (err) {
      if (!(err instanceof RaftError) || err.code !== 'invalid-proposal') throw err;
      // A proposal this member made and cannot apply is a bug: refuse it rather than log it.
      this.opts.logger.error({ err: err.message, id }, 'refused an own proposal that could not be applied');
      this.settle(id, etcdServerRefusal(err.message));
    }
    return done;
  }

  /** A leader is known: proposals kept while there was none go to it, oldest first. */
  retry(): void {
    for (const [id, p] of this.unproposed) {
      if (!this.opts.submit(p)) return;
      this.unproposed.delete(id);
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
    this.unproposed.delete(id);
  }
}
