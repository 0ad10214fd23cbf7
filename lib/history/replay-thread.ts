// The member's side of replays on a worker thread (lib/history/replay-worker.ts
// is the worker's). One worker, started with the first replay and stopped
// by close(), runs one replay at a time; a replay's events arrive in
// batches, each taken by a step() of the event feed, which then lets the
// worker post the next. A worker that fails or dies fails its replay: the
// watches waiting on it end, the member goes on, and the next replay starts
// a new worker.

import { Worker } from 'node:worker_threads';
import type { RecordedEvent } from './codec.js';
import type { FeedReplay } from './event-feed.js';
import type { FromWorker, ToWorker } from './replay-worker.js';
import type { StartPoint } from './start-points.js';

/**
 * The worker's bootstrap: it imports the module that serves replays by URL.
 * Under tsx (tests, tools run from the sources) that module is TypeScript,
 * and tsx does not register itself on worker threads of this Node: the
 * bootstrap registers it first. From dist/ the module is JavaScript and tsx
 * is never loaded.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx !== null) (await import(workerData.tsx)).register();
  await import(workerData.module);
})().catch((err) => { throw err; });
`;

type Answer = Exclude<FromWorker, { kind: 'failed' }>;

class ThreadReplay implements FeedReplay {
  storeIndex: number;
  private readonly answers: Answer[] = [];
  private failure: Error | null = null;
  private waiter: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly thread: ReplayThread,
    readonly job: number,
    start: StartPoint,
    private readonly onEvent: (e: RecordedEvent) => void,
  ) {
    this.storeIndex = start.storeIndex;
  }

  /** Takes the worker's next batch; resolves with the events it held (or 1 for the end), rejects when the replay failed. */
  async step(): Promise<number> {
    while (this.answers.length === 0 && this.failure === null && !this.closed)
      await new Promise<void>((resolve) => (this.waiter = resolve));
    const a = this.answers.shift();
    if (a === undefined) {
      if (this.failure !== null) throw this.failure;
      return 0;
    }
    this.storeIndex = a.storeIndex;
    if (a.kind === 'done') return 1;
    for (const e of a.events) this.onEvent(e);
    this.thread.send({ kind: 'more', job: this.job });
    return a.events.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.thread.finished(this);
    this.wakeUp();
  }

  answer(a: Answer): void {
    this.answers.push(a);
    this.wakeUp();
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

export class ReplayThread {
  private worker: Worker | null = null;
  private current: ThreadReplay | null = null;
  private jobs = 0;
  private closed = false;

  /** `module` (a URL) calls serveReplays with the member's codec when imported on a worker thread. */
  constructor(private readonly module: string) {}

  /** Worker threads alive (0 or 1). */
  get threads(): number {
    return this.worker === null ? 0 : 1;
  }

  /** Starts a replay on the worker: the events from `from` on, up to store index `target`. */
  open(
    dataDir: string,
    start: StartPoint,
    target: number,
    from: number,
    onEvent: (e: RecordedEvent) => void,
  ): ThreadReplay {
    const job = ++this.jobs;
    const replay = new ThreadReplay(this, job, start, onEvent);
    if (this.closed) {
      replay.fail(new Error('the history reader is closed'));
      return replay;
    }
    this.current?.fail(new Error('replaced by a newer replay'));
    this.current = replay;
    const worker = this.ensureWorker();
    worker.ref();
    this.send({ kind: 'start', job, dataDir, start, target, from });
    return replay;
  }

  /** Stops the worker; a running replay fails. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.lost(new Error('the history reader is closed'));
    await worker?.terminate();
  }

  /** Stops the worker while no replay needs it (it holds a whole heap). */
  async idle(): Promise<void> {
    if (this.current !== null) return;
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  send(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  finished(replay: ThreadReplay): void {
    if (this.current !== replay) return;
    this.current = null;
    this.send({ kind: 'stop', job: replay.job });
    this.worker?.unref();
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    const tsx = this.module.endsWith('.ts') ? import.meta.resolve('tsx/esm/api') : null;
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { module: this.module, tsx } });
    worker.on('message', (m: FromWorker) => {
      const replay = this.current;
      if (this.worker !== worker || replay === null || m.job !== replay.job) return;
      if (m.kind === 'failed') replay.fail(new Error(m.message));
      else replay.answer(m);
    });
    worker.on('error', (err) => {
      if (this.worker === worker) this.lost(err);
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.lost(new Error(`the replay worker exited with code ${code}`));
    });
    this.worker = worker;
    return worker;
  }

  private lost(err: Error): void {
    this.worker = null;
    const replay = this.current;
    this.current = null;
    replay?.fail(err);
  }
}
