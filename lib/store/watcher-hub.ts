// Watchers by the path they watch, with etcd's watcherHub rules: an event on
// /a/b is offered to the watchers of /, /a and /a/b; a watcher of another
// path takes it only when it is recursive and the key is not hidden below
// it; a removed node is offered to the watchers of its own path whatever
// their flags. A watcher that is not a stream ends with its first event.

import type { Event, WatchHandle } from './event.js';
import { EventHistory } from './event-history.js';

interface Watcher {
  readonly path: string;
  readonly recursive: boolean;
  readonly stream: boolean;
  readonly sinceIndex: number;
  readonly onEvent: (e: Event) => void;
  removed: boolean;
}

const ENDED: WatchHandle = { cancel() {} };

/** Told of every event the store records, refreshes included, as it is recorded. */
export type EventObserver = (e: Event, refresh: boolean) => void;

export class WatcherHub {
  readonly history: EventHistory;
  private readonly byPath = new Map<string, Watcher[]>();
  /** Watchers registered and not yet ended. */
  count = 0;
  private observers: EventObserver[] = [];

  constructor(history: EventHistory) {
    this.history = history;
  }

  /**
   * Registers a watcher, or answers it at once from the history (before
   * returning) when an event at or after `sinceIndex` matches. As in etcd, a
   * watcher answered from the history is not registered, stream or not.
   * Throws 401 when `sinceIndex` is older than the history.
   */
  watch(
    path: string,
    recursive: boolean,
    stream: boolean,
    sinceIndex: number,
    storeIndex: number,
    onEvent: (e: Event) => void,
  ): WatchHandle {
    let past: Event | null;
    try {
      past = this.history.scan(path, recursive, sinceIndex);
    } catch (err) {
      (err as { index: number }).index = storeIndex;
      throw err;
    }
    if (past !== null) {
      const replay = { action: past.action, node: past.node } as Event;
      if (past.prevNode !== undefined) replay.prevNode = past.prevNode;
      replay.etcdIndex = storeIndex;
      onEvent(replay);
      return ENDED;
    }
    const w: Watcher = { path, recursive, stream, sinceIndex, onEvent, removed: false };
    const list = this.byPath.get(path);
    if (list === undefined) this.byPath.set(path, [w]);
    else list.push(w);
    this.count++;
    return { cancel: () => this.remove(w) };
  }

  /** Records an event that watchers are not told about (a refresh). */
  record(e: Event): void {
    this.history.add(e, true);
    if (this.observers.length > 0) this.tellObservers(e, true);
  }

  /** Adds an observer; the function returned removes it. */
  observe(o: EventObserver): () => void {
    this.observers = [...this.observers, o];
    return () => {
      this.observers = this.observers.filter((x) => x !== o);
    };
  }

  private tellObservers(e: Event, refresh: boolean): void {
    for (const o of this.observers) o(e, refresh);
  }

  /** Records an event and offers it to the watchers of its key and of every ancestor. */
  notify(e: Event): void {
    this.history.add(e, false);
    if (this.observers.length > 0) this.tellObservers(e, false);
    if (this.count === 0) return;
    const key = e.node.key;
    this.notifyWatchers(e, '/', false);
    for (let i = key.indexOf('/', 1); i !== -1; i = key.indexOf('/', i + 1)) {
      this.notifyWatchers(e, key.slice(0, i), false);
    }
    if (key.length > 1) this.notifyWatchers(e, key, false);
  }

  /** True when some watcher watches `key`. */
  watches(key: string): boolean {
    return this.byPath.has(key);
  }

  /** True when some watcher watches `key` or a path below it. */
  watchesUnder(key: string): boolean {
    if (this.count === 0) return false;
    const prefix = key.length === 1 ? key : key + '/';
    for (const p of this.byPath.keys()) if (p === key || p.startsWith(prefix)) return true;
    return false;
  }

  /** Offers `e` to the watchers of `path`; `deleted`: the node at `path` was removed by `e`. */
  notifyWatchers(e: Event, path: string, deleted: boolean): void {
    const list = this.byPath.get(path);
    if (list === undefined) return;
    const key = e.node.key;
    const original = key === path;
    if (!original && isHidden(path, key)) return;
    const index = e.node.modifiedIndex;
    // A callback may cancel or add watchers: walk a copy.
    for (const w of list.slice()) {
      if (w.removed) continue;
      if (!(w.recursive || original || deleted) || index < w.sinceIndex) continue;
      if (!w.stream) this.remove(w);
      try {
        w.onEvent(e);
      } catch {
        // A failing consumer must not stop the apply loop or the other watchers.
        this.remove(w);
      }
    }
  }

  private remove(w: Watcher): void {
    if (w.removed) return;
    w.removed = true;
    this.count--;
    const list = this.byPath.get(w.path)!;
    const i = list.indexOf(w);
    list.splice(i, 1);
    if (list.length === 0) this.byPath.delete(w.path);
  }
}

/**
 * etcd's isHidden: whether `key` is hidden from a watcher of `watchPath`
 * above it, that is some segment below the watched path starts with '_'.
 */
function isHidden(watchPath: string, key: string): boolean {
  if (watchPath.length > key.length) return false;
  return ('/' + key.slice(watchPath.length)).includes('/_');
}
