// A clock and a scheduler that only move when told to: unit tests advance
// them by hand, the cluster simulation runs every member on one of them.
// Callbacks due at the same instant run in the order they were scheduled.

import type { Clock } from './clock.js';
import type { Scheduler, Timer } from './scheduler.js';

interface Due {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class VirtualTime implements Clock, Scheduler {
  private nowMs: number;
  private seq = 0;
  /** A binary heap ordered by (at, seq). */
  private readonly heap: Due[] = [];

  /** epochMs: the wall-clock reading at virtual time zero. */
  constructor(private readonly epochMs = 1_700_000_000_000) {
    this.nowMs = 0;
  }

  now(): number {
    return this.epochMs + this.nowMs;
  }

  monotonic(): number {
    return this.nowMs;
  }

  /** Virtual milliseconds since the start. */
  get elapsed(): number {
    return this.nowMs;
  }

  /** Callbacks waiting to run (cancelled ones included until they come due). */
  get waiting(): number {
    return this.heap.length;
  }

  after(ms: number, fn: () => void): Timer {
    const due = this.push(this.nowMs + Math.max(0, ms), fn);
    return { cancel: () => void (due.cancelled = true) };
  }

  every(ms: number, fn: () => void): Timer {
    const period = Math.max(1, ms);
    let current: Due;
    const run = (): void => {
      current = this.push(this.nowMs + period, run);
      fn();
    };
    current = this.push(this.nowMs + period, run);
    return { cancel: () => void (current.cancelled = true) };
  }

  soon(fn: () => void): void {
    this.push(this.nowMs, fn);
  }

  /** When the next callback is due, or null when none waits. */
  nextDue(): number | null {
    this.dropCancelled();
    return this.heap.length > 0 ? this.heap[0]!.at : null;
  }

  /** Runs the next due callback (moving the clock to its time); false when none waits. */
  runNext(): boolean {
    this.dropCancelled();
    const due = this.pop();
    if (due === undefined) return false;
    this.nowMs = due.at;
    due.fn();
    return true;
  }

  /** Runs every callback due up to now + ms (at most maxSteps of them), then sets the clock to now + ms. */
  advance(ms: number, maxSteps = 1_000_000): void {
    const until = this.nowMs + ms;
    for (let steps = 0; steps < maxSteps; steps++) {
      const next = this.nextDue();
      if (next === null || next > until) break;
      this.runNext();
    }
    this.nowMs = Math.max(this.nowMs, until);
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private push(at: number, fn: () => void): Due {
    const due: Due = { at, seq: this.seq++, fn, cancelled: false };
    const h = this.heap;
    h.push(due);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
    return due;
  }

  private pop(): Due | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }
}

function before(a: Due, b: Due): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
