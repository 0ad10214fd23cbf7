// The events a replay of the log recorded, in a bounded window of consecutive
// store indexes, so that many watchers catching up over the same stretch of
// history are answered from one pass over the log.

import { present } from '../assert.js';
import { matchesWatch, type Event } from '../store/index.js';
import type { RecordedEvent } from './codec.js';

export type WindowAnswer =
  /** The first event at or after the index that the watch takes. */
  | { readonly kind: 'event'; readonly event: Event }
  /** None up to the window's end: look on from `next`. */
  | { readonly kind: 'none'; readonly next: number }
  /** The window does not hold the index. */
  | { readonly kind: 'outside' };

export class EventWindow {
  private events: RecordedEvent[] = [];
  /** The index of events[0]. */
  private lo = 1;

  constructor(private readonly capacity: number) {}

  /** Empties the window; the next event added must have index `first`. */
  reset(first: number): void {
    this.events = [];
    this.lo = first;
  }

  /** The index of the newest event held (lo - 1 when empty). */
  get last(): number {
    return this.lo + this.events.length - 1;
  }

  get first(): number {
    return this.lo;
  }

  get size(): number {
    return this.events.length;
  }

  add(e: RecordedEvent): void {
    if (e.event.node.modifiedIndex !== this.last + 1) {
      // Not the next index: the window restarts at this event (never happens with a replay that began at `first`).
      this.reset(e.event.node.modifiedIndex);
    }
    this.events.push(e);
    // Drop in batches: one copy per quarter of the capacity, not one per event.
    if (this.events.length > this.capacity + (this.capacity >> 2)) {
      const drop = this.events.length - this.capacity;
      this.events = this.events.slice(drop);
      this.lo += drop;
    }
  }

  /** What a watch of `key` asking for events from `index` on finds here. */
  find(key: string, recursive: boolean, index: number): WindowAnswer {
    if (index < this.lo || index > this.last) return { kind: 'outside' };
    for (let i = index - this.lo; i < this.events.length; i++) {
      const r = present(this.events[i], 'i < events.length');
      if (!r.refresh && matchesWatch(r.event, key, recursive)) return { kind: 'event', event: r.event };
    }
    return { kind: 'none', next: this.last + 1 };
  }
}
