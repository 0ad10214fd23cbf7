// The worker thread's side of a replay of the log for the shared event window
// (lib/history/replay-thread.ts is the member's side). Rebuilding the tree
// and applying the log costs a few microseconds of CPU per entry, which
// would otherwise be taken from the member's event loop; here only the
// events the window needs cross to the member, in batches, and no faster
// than the member takes them.

import { parentPort, type MessagePort } from 'node:worker_threads';
import type { RecordedEvent, StateCodec } from './codec.js';
import { Replay, StepPacer } from './replay.js';
import type { StartPoint } from './start-points.js';

/** What the member asks of the worker. */
export type ToWorker =
  /** Replays from `start` up to store index `target`, posting the events from `from` on (a running job stops). */
  | {
      readonly kind: 'start';
      readonly job: number;
      readonly dataDir: string;
      readonly start: StartPoint;
      readonly target: number;
      readonly from: number;
    }
  /** The member took a batch: one more may be posted. */
  | { readonly kind: 'more'; readonly job: number }
  | { readonly kind: 'stop'; readonly job: number };

/** What the worker answers. */
export type FromWorker =
  | {
      readonly kind: 'events';
      readonly job: number;
      readonly events: readonly RecordedEvent[];
      /** The store index the replay is at after them. */
      readonly storeIndex: number;
    }
  /** The replay reached its target; every event was posted. */
  | { readonly kind: 'done'; readonly job: number; readonly storeIndex: number }
  | { readonly kind: 'failed'; readonly job: number; readonly message: string };

/** Events per message. */
export const BATCH_EVENTS = 1024;
/** Batches posted and not yet taken by the member, at most: bounds what waits in its message queue. */
export const BATCHES_AHEAD = 2;

type StartJob = Extract<ToWorker, { kind: 'start' }>;

class Job {
  private credits = BATCHES_AHEAD;
  private wake: (() => void) | null = null;
  stopped = false;

  constructor(
    private readonly port: MessagePort,
    private readonly codec: StateCodec,
    private readonly ask: StartJob,
  ) {}

  get id(): number {
    return this.ask.job;
  }

  more(): void {
    this.credits++;
    this.wakeUp();
  }

  stop(): void {
    this.stopped = true;
    this.wakeUp();
  }

  async run(): Promise<void> {
    const { dataDir, start, target, from, job } = this.ask;
    let batch: RecordedEvent[] = [];
    let replay: Replay | null = null;
    try {
      replay = await Replay.from(dataDir, this.codec, start, (e) => {
        if (e.event.node.modifiedIndex >= from) batch.push(e);
      });
      const at = replay;
      const pacer = new StepPacer(() => `${at.storeIndex}, behind the live tree's ${target}`);
      while (!this.stopped && replay.storeIndex < target) {
        await pacer.after((await replay.step(target)) > 0);
        if (batch.length >= BATCH_EVENTS) {
          await this.post(batch, replay.storeIndex);
          batch = [];
        }
      }
      if (this.stopped) return;
      if (batch.length > 0) await this.post(batch, replay.storeIndex);
      if (!this.stopped)
        this.port.postMessage({ kind: 'done', job, storeIndex: replay.storeIndex } satisfies FromWorker);
    } catch (err) {
      if (!this.stopped) {
        const message = err instanceof Error ? err.message : String(err);
        this.port.postMessage({ kind: 'failed', job, message } satisfies FromWorker);
      }
    } finally {
      // Closing only releases the segment being read.
      await replay?.close().catch(() => undefined);
    }
  }

  /** Posts a batch once the member has room for it. */
  private async post(events: readonly RecordedEvent[], storeIndex: number): Promise<void> {
    while (this.credits === 0 && !this.stopped) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.stopped) return;
    this.credits--;
    this.port.postMessage({ kind: 'events', job: this.ask.job, events, storeIndex } satisfies FromWorker);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** Serves replays on this worker thread with `codec`, one job at a time (a new one stops the running one). */
export function serveReplays(codec: StateCodec): void {
  const port = parentPort;
  if (port === null) throw new Error('serveReplays runs on a worker thread');
  let current: Job | null = null;
  port.on('message', (m: ToWorker) => {
    if (m.kind === 'start') {
      current?.stop();
      const job = new Job(port, codec, m);
      current = job;
      void job.run().finally(() => {
        if (current === job) current = null;
      });
    } else if (current?.id === m.job) {
      if (m.kind === 'more') current.more();
      else current.stop();
    }
  });
}
