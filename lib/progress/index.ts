// Progress of long work (replaying a large log, copying a large data dir):
// at most one report per interval, with what is done, the total when known,
// and the average rate so far. Work shorter than one interval reports nothing.

export interface ProgressReport {
  readonly done: number;
  /** null when the total is not known. */
  readonly total: number | null;
  /** Units per second since the work started. */
  readonly perSecond: number;
  readonly elapsedMs: number;
}

export interface ProgressOptions {
  /** Minimum time between two reports. */
  readonly intervalMs: number;
  readonly report: (p: ProgressReport) => void;
  /** A clock in milliseconds (performance.now by default). */
  readonly now?: () => number;
}

export const DEFAULT_PROGRESS_INTERVAL_MS = 5000;

export class Progress {
  private readonly now: () => number;
  private readonly started: number;
  private last: number;

  constructor(private readonly opts: ProgressOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.started = this.now();
    this.last = this.started;
  }

  /** Records how much is done; reports it when an interval has passed since the last report. */
  update(done: number, total: number | null = null): void {
    const t = this.now();
    if (t - this.last < this.opts.intervalMs) return;
    this.last = t;
    const elapsedMs = t - this.started;
    this.opts.report({ done, total, perSecond: elapsedMs > 0 ? (done * 1000) / elapsedMs : 0, elapsedMs });
  }
}
