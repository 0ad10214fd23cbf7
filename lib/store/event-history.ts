// The last N events in a fixed ring (etcd's EventHistory), so a watcher can
// ask for what happened since an index it already knew. Every mutation adds
// exactly one event and raises the store index by one, so the events in the
// ring have consecutive indexes and an index maps straight to a slot.

import type { Event } from './event.js';
import { ErrorCode, V2Error } from './errors.js';

export interface HistoryEntry {
  readonly event: Event;
  /** Refresh events are kept (they hold an index) but never replayed. */
  readonly refresh: boolean;
}

export class EventHistory {
  readonly capacity: number;
  private readonly events: (Event | undefined)[];
  private readonly refresh: Uint8Array;
  private front = 0;
  private size = 0;
  /** Index of the oldest event held (0 before the first). */
  startIndex = 0;
  /** Index of the newest event held (0 before the first). */
  lastIndex = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.events = new Array<Event | undefined>(capacity);
    this.refresh = new Uint8Array(capacity);
  }

  add(e: Event, refresh: boolean): void {
    const back = (this.front + this.size) % this.capacity;
    this.events[back] = e;
    this.refresh[back] = refresh ? 1 : 0;
    if (this.size === this.capacity) this.front = (this.front + 1) % this.capacity;
    else this.size++;
    this.lastIndex = e.node.modifiedIndex;
    this.startIndex = this.events[this.front]!.node.modifiedIndex;
  }

  /**
   * The first event at or after `index` a watcher on `key` would have seen,
   * or null when there is none yet. Throws 401 when `index` is older than
   * the history (the caller sets the error's index).
   */
  scan(key: string, recursive: boolean, index: number): Event | null {
    if (index < this.startIndex) {
      throw new V2Error(
        ErrorCode.EventIndexCleared,
        `the requested history has been cleared [${this.startIndex}/${index}]`,
        0,
      );
    }
    if (index > this.lastIndex || this.size === 0) return null;
    for (let off = index - this.startIndex; off < this.size; off++) {
      const slot = (this.front + off) % this.capacity;
      if (this.refresh[slot] === 1) continue;
      const e = this.events[slot]!;
      if (matchesWatch(e, key, recursive)) return e;
    }
    return null;
  }

  /** The events held, oldest first. */
  entries(): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (let off = 0; off < this.size; off++) {
      const slot = (this.front + off) % this.capacity;
      out.push({ event: this.events[slot]!, refresh: this.refresh[slot] === 1 });
    }
    return out;
  }
}

/**
 * Whether a watcher of `key` asking for past events takes `e` (etcd's
 * EventHistory.scan rule, which unlike a live watch does not hide keys
 * below the watched path). Shared by every reader of past events, in
 * memory or from the log, so both answer alike.
 */
export function matchesWatch(e: Event, key: string, recursive: boolean): boolean {
  const k = e.node.key;
  if (k === key) return true;
  if (recursive && k.startsWith(key.length === 1 ? key : key + '/')) return true;
  // A deleted or expired directory took the watched key with it (etcd
  // compares plain string prefixes here, so it does too).
  return (e.action === 'delete' || e.action === 'expire') && e.prevNode?.dir === true && key.startsWith(e.prevNode.key);
}
