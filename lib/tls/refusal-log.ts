// Warnings about refused connections, at a bounded rate: a scanner or a
// misconfigured peer redialling in a loop must not be able to flood the log.
// Within each window the first `limit` refusals are logged one by one; the
// rest are counted and reported as one line when the window ends.
import type { Logger } from '../log/index.js';

export interface RefusalLogOptions {
  /** Refusals logged individually per window; default 10. */
  readonly limit?: number;
  /** Default 10 s. */
  readonly windowMs?: number;
  /** The clock, in milliseconds; default Date.now. */
  readonly now?: () => number;
}

export class RefusalLog {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private logged = 0;
  private suppressed = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    /** The message of every line, e.g. 'refused TLS client connection'. */
    private readonly message: string,
    opts: RefusalLogOptions = {},
  ) {
    this.limit = opts.limit ?? 10;
    this.windowMs = opts.windowMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Logs one refusal at warn (fields: remote address, reason, ...), or counts it once the window's limit is reached. */
  refused(fields: Record<string, unknown>): void {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.reportSuppressed();
      this.windowStart = now;
      this.logged = 0;
    }
    if (this.logged < this.limit) {
      this.logged++;
      this.logger.warn(fields, this.message);
      return;
    }
    if (this.suppressed++ === 0) {
      this.timer = setTimeout(() => this.reportSuppressed(), this.windowStart + this.windowMs - now);
      this.timer.unref();
    }
  }

  /** Reports what the current window suppressed, and stops the timer. */
  close(): void {
    this.reportSuppressed();
  }

  private reportSuppressed(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed === 0) return;
    const count = this.suppressed;
    this.suppressed = 0;
    this.logger.warn(
      { suppressed: count, windowMs: this.windowMs, limit: this.limit },
      `${this.message}: ${count} more not logged one by one (rate limit)`,
    );
  }
}
