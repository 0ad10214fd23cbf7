// bcrypt off the event loop. A bcrypt check costs 100-300 ms of CPU by
// design (cost 10, etcd's default), so it runs on a worker thread with
// bcryptjs (pure JavaScript, maintained, no native build), behind a bounded
// queue. Verified credentials are remembered for a short time, bounded in
// number, keyed by an HMAC under a per-process secret of the user, the
// password and the stored hash: a changed password or a recreated user
// misses the cache, and the cache holds no password.

import { createHmac, randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** etcd's bcrypt cost (Go's bcrypt.DefaultCost). */
export const BCRYPT_COST = 10;

export interface PasswordsOptions {
  /** How long a verified credential is remembered (ms); default 60 s. */
  readonly cacheMs?: number;
  /** How many verified credentials are remembered at most; default 4096. */
  readonly cacheEntries?: number;
  /** bcrypt jobs waiting or running at most; past it a check is refused with PasswordQueueFull. Default 64. */
  readonly maxQueued?: number;
  /** The clock (ms); default Date.now. */
  readonly now?: () => number;
  /** bcrypt cost of new hashes; default BCRYPT_COST. Tests may lower it. */
  readonly cost?: number;
}

/** Too many bcrypt jobs are waiting: the caller answers with etcd's "too many requests". */
export class PasswordQueueFull extends Error {
  readonly code = 'PASSWORD_QUEUE_FULL';
  constructor() {
    super('too many password checks waiting');
  }
}

type Job =
  | { readonly kind: 'hash'; readonly password: string; readonly cost: number }
  | { readonly kind: 'compare'; readonly password: string; readonly hash: string };

// The worker's whole source: bcryptjs is imported by its resolved URL, so the
// worker needs no file of its own (and runs the same from dist/ and under tsx).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.bcrypt).then(({ default: bcrypt }) => {
  parentPort.on('message', ({ id, job }) => {
    let result;
    try {
      result = job.kind === 'hash' ? bcrypt.hashSync(job.password, job.cost) : bcrypt.compareSync(job.password, job.hash);
    } catch (err) {
      result = job.kind === 'hash' ? { error: String(err && err.message || err) } : false;
    }
    parentPort.postMessage({ id, result });
  });
});
`;

export class Passwords {
  private readonly cacheMs: number;
  private readonly cacheEntries: number;
  private readonly maxQueued: number;
  private readonly now: () => number;
  private readonly cost: number;
  private readonly secret = randomBytes(32);
  /** Verified credentials by HMAC, with when they expire; Map order is insertion order (oldest first). */
  private readonly verified = new Map<string, number>();
  /** Checks in flight by HMAC, so that a burst of requests with the same credentials costs one bcrypt. */
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private closed = false;

  constructor(opts: PasswordsOptions = {}) {
    this.cacheMs = opts.cacheMs ?? 60_000;
    this.cacheEntries = opts.cacheEntries ?? 4096;
    this.maxQueued = opts.maxQueued ?? 64;
    this.now = opts.now ?? Date.now;
    this.cost = opts.cost ?? BCRYPT_COST;
  }

  /** A new bcrypt hash of the password. Rejects with PasswordQueueFull when the queue is full. */
  async hash(password: string): Promise<string> {
    const r = (await this.run({ kind: 'hash', password, cost: this.cost })) as string | { error: string };
    if (typeof r !== 'string') throw new Error(`bcrypt: ${r.error}`);
    return r;
  }

  /** Whether the password matches the stored hash. Rejects with PasswordQueueFull when the queue is full. */
  verify(user: string, password: string, hash: string): Promise<boolean> {
    const key = createHmac('sha256', this.secret)
      .update(user)
      .update('\0')
      .update(password)
      .update('\0')
      .update(hash)
      .digest('base64');
    const expires = this.verified.get(key);
    if (expires !== undefined) {
      if (expires > this.now()) return Promise.resolve(true);
      this.verified.delete(key);
    }
    const running = this.inFlight.get(key);
    if (running) return running;
    const check = this.run({ kind: 'compare', password, hash }).then((ok) => {
      if (ok === true) this.remember(key);
      return ok === true;
    });
    this.inFlight.set(key, check);
    const forget = (): void => {
      this.inFlight.delete(key);
    };
    check.then(forget, forget);
    return check;
  }

  /** Stops the worker; later calls reject. */
  close(): void {
    this.closed = true;
    void this.worker?.terminate();
    this.worker = null;
    this.failAll(new Error('password checker closed'));
  }

  private remember(key: string): void {
    this.verified.delete(key);
    while (this.verified.size >= this.cacheEntries) {
      const oldest = this.verified.keys().next().value as string;
      this.verified.delete(oldest);
    }
    this.verified.set(key, this.now() + this.cacheMs);
  }

  private run(job: Job): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('password checker closed'));
    if (this.pending.size >= this.maxQueued) return Promise.reject(new PasswordQueueFull());
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, job });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcrypt: import.meta.resolve('bcryptjs') } });
    worker.unref();
    worker.on('message', (m: { id: number; result: unknown }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      p.resolve(m.result);
    });
    const lost = (err: Error): void => {
      if (this.worker === worker) this.worker = null;
      this.failAll(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`password worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }
}
