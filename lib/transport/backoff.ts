/**
 * Reconnect delays: initialMs doubling up to maxMs, each spread by a bounded
 * jitter (±jitter of the delay) so members that lost a peer together do not
 * redial in lock step.
 */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Fraction of the delay, in [0, 1). */
  readonly jitter: number;
  /** A source of numbers in [0, 1). */
  readonly random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 50, maxMs: 2000, jitter: 0.2, random: Math.random };

export class Backoff {
  private delayMs: number;

  constructor(private readonly opts: BackoffOptions) {
    this.delayMs = opts.initialMs;
  }

  /** The delay before the next attempt; each call doubles the one after it, up to maxMs. */
  next(): number {
    const base = this.delayMs;
    this.delayMs = Math.min(base * 2, this.opts.maxMs);
    const r = Math.min(Math.max(this.opts.random(), 0), 1);
    return Math.round(base * (1 - this.opts.jitter + 2 * this.opts.jitter * r));
  }

  reset(): void {
    this.delayMs = this.opts.initialMs;
  }
}
