// The etcd v2 key tree (etcd 3.4's v2store), applied deterministically: the
// time of every mutation is the time stamped on its log entry, and keys
// expire only when a sync entry is applied, so every member computes the
// same tree, the same events and the same indexes from the same log.

import type { Action, Event, NodeJSON, WatchHandle, WatchOptions } from './event.js';
import { ErrorCode, V2Error, unknownMethod } from '../errors/index.js';
import { EventHistory } from './event-history.js';
import { treeDigests, treeHash, type DigestPage } from './hash.js';
import { Node, pathOf, visitPostOrder } from './node.js';
import { listingJSON, makeNodeJSON, nodeJSON } from './node-json.js';
import { cleanPath } from './path.js';
import type { StoreRequest } from './request.js';
import {
  decodeSnapshot,
  decodeSnapshotInPieces,
  encodeSnapshot,
  encodeSnapshotInPieces,
  FrozenView,
  type RestoredState,
  type StoreState,
} from './snapshot.js';
import { newCounters, type StatName, type StoreCounters } from './stats.js';
import { TtlHeap } from './ttl-heap.js';
import { WatcherHub, type EventObserver } from './watcher-hub.js';

export interface StoreOptions {
  /** Events kept for watchers that ask for an index in the past (etcd keeps 1000). */
  readonly historySize?: number;
}

/** Every request but the leader's sync: these always answer with an event. */
export type MutationRequest = Exclude<StoreRequest, { op: 'sync' }>;

type PutRequest = Extract<StoreRequest, { op: 'put' }>;
type DeleteRequest = Extract<StoreRequest, { op: 'delete' }>;

const DEFAULT_HISTORY_SIZE = 1000;

/** etcd treats an expiration before 2000-01-01T00:00:00Z on a created key as none. */
const MIN_EXPIRE_MS = 946684800000;

/** The range a JavaScript Date can print; absurd TTLs are clamped into it. */
const MAX_TIME_MS = 8.64e15;

export class Store {
  private root: Node = Node.dir('', null, 0);
  /** Snapshots being collected in slices, each reading the tree as it was when it began. */
  private readonly frozenViews: FrozenView[] = [];
  private currentIndex = 0;
  private count = 0;
  private readonly hub: WatcherHub;
  private readonly ttl = new TtlHeap();
  private counters: StoreCounters = newCounters();
  /** A sync entry stops expiring keys once the index reaches this (a point-in-time replay). */
  private expireLimit = Infinity;

  constructor(opts: StoreOptions = {}) {
    const size = opts.historySize ?? DEFAULT_HISTORY_SIZE;
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`historySize must be a positive integer, got ${size}`);
    this.hub = new WatcherHub(new EventHistory(size));
  }

  /** The store index (etcd's X-Etcd-Index): one per successful mutation and per expired node. */
  get index(): number {
    return this.currentIndex;
  }

  /** Keys and directories in the tree, the root not included. */
  get nodeCount(): number {
    return this.count;
  }

  /**
   * Every key and directory (directories end in "/"), hidden ones included,
   * in sorted depth-first order: for operators' tools, not the API.
   */
  *paths(): Iterable<string> {
    const stack: { node: Node; key: string }[] = [{ node: this.root, key: '' }];
    while (stack.length > 0) {
      const { node, key } = stack.pop()!;
      if (node !== this.root) yield node.children === null ? key : key + '/';
      if (node.children === null) continue;
      const names = [...node.children.keys()].sort().reverse();
      for (const name of names) stack.push({ node: node.children.get(name)!, key: `${key}/${name}` });
    }
  }

  /**
   * Applies one committed request at its entry's time (ms since the epoch).
   * Returns the event (null for a sync, whose expirations reach watchers as
   * their own events). Throws V2Error, whose index is the store index.
   */
  apply(req: MutationRequest, time: number): Event;
  apply(req: StoreRequest, time: number): Event | null;
  apply(req: StoreRequest, time: number): Event | null {
    switch (req.op) {
      case 'put':
        return this.put(req, time);
      case 'post':
        return this.counted('createSuccess', 'createFail', () =>
          this.create(
            req.path,
            req.dir === true,
            str(req.value),
            true,
            false,
            deadlineOf(req.ttl, time),
            'create',
            time,
            false,
          ),
        );
      case 'delete':
        return this.delete(req, time);
      case 'sync':
        this.expire(time);
        return null;
      default:
        throw unknownMethod(this.currentIndex);
    }
  }

  /** Reads a node; `now` (the reader's clock) only decides the `ttl` shown. Throws V2Error. */
  get(path: string, recursive: boolean, sorted: boolean, now: number): Event {
    const p = cleanPath(path);
    const n = this.lookup(p);
    if (n instanceof Miss) {
      this.counters.getsFail++;
      throw new V2Error(n.code, n.cause, this.currentIndex);
    }
    this.counters.getsSuccess++;
    return makeEvent('get', listingJSON(n, p, recursive, sorted, now), undefined, this.currentIndex);
  }

  /**
   * Watches a key (and with `recursive` everything below it). With a
   * sinceIndex still in the history, the first matching past event is
   * delivered before this returns and the watch ends there, as in etcd.
   * Throws V2Error 401 when sinceIndex is older than the history.
   */
  watch(path: string, opts: WatchOptions, onEvent: (e: Event) => void): WatchHandle {
    const since = opts.sinceIndex === null || opts.sinceIndex === 0 ? this.currentIndex + 1 : opts.sinceIndex;
    return this.hub.watch(cleanPath(path), opts.recursive, opts.stream, since, this.currentIndex, onEvent);
  }

  /**
   * The oldest index a watch can still ask for from memory: older ones are
   * cleared (401). One past the current index while no event is held.
   */
  get oldestWatchableIndex(): number {
    const h = this.hub.history;
    return h.lastIndex === 0 ? this.currentIndex + 1 : h.startIndex;
  }

  /**
   * Tells `o` of every event from now on as it happens, refreshes (which
   * watchers never see) included. Returns the function that stops it.
   */
  observe(o: EventObserver): () => void {
    return this.hub.observe(o);
  }

  /**
   * For a replay that must stop at `index`: a sync entry applied from now on
   * stops expiring keys once the store index reaches it, leaving the state
   * just after that index even when one entry expired several keys. A store
   * limited this way must not apply further entries.
   */
  stopExpiringAt(index: number): void {
    this.expireLimit = index;
  }

  /** SHA-256 (hex) of the tree in key order: keys, values, TTL deadlines and indexes (lib/store/hash.ts). */
  hash(): string {
    return treeHash(this.root);
  }

  /** Per-node digests from position `offset` in the order hash() reads the tree: to find where two trees differ. */
  digests(offset: number, limit: number): DigestPage {
    return treeDigests(this.root, offset, limit);
  }

  /**
   * A test-only hook: changes a key's value in place, bypassing the log and
   * the indexes, as a corrupted replica would hold it. Returns false when
   * there is no such key. Never called outside kvd's corruption tests
   * (kvd calls it only when KVD_TEST_CORRUPT is set at start).
   */
  corruptForTest(path: string, value: string): boolean {
    const n = this.lookup(cleanPath(path));
    if (n instanceof Miss || n.children !== null) return false;
    n.value = value;
    return true;
  }

  /** The earliest TTL deadline in the tree (ms), or null when no node has one. */
  nextExpiry(): number | null {
    const top = this.ttl.top();
    return top === null ? null : top.expiry!.deadline;
  }

  /** etcd's /v2/stats/store object. */
  stats(): Record<string, number> {
    return { ...this.counters, watchers: this.hub.count };
  }

  /**
   * The whole state (tree, TTLs, indexes, event history, counters) as Avro
   * bytes, after `headroom` bytes left for the caller to fill (so a caller
   * that frames the snapshot need not copy hundreds of megabytes).
   * restore() takes the bytes without the headroom.
   */
  snapshot(headroom = 0): Buffer {
    return encodeSnapshot(this.snapshotState(), headroom);
  }

  /**
   * What snapshot() returns, encoded a piece at a time with `pause()`
   * awaited between pieces so a large tree does not stall the caller's event
   * loop. The state is the state at the call: later changes are not in it.
   */
  async snapshotInPieces(headroom: number, pause: () => Promise<void>): Promise<Buffer> {
    const state = this.snapshotState();
    const view = new FrozenView();
    this.frozenViews.push(view);
    try {
      return await encodeSnapshotInPieces({ ...state, counters: { ...state.counters } }, view, headroom, pause);
    } finally {
      this.frozenViews.splice(this.frozenViews.indexOf(view), 1);
    }
  }

  /** Keeps a directory's children as they are for the snapshots being collected (before they change). */
  private beforeChildrenChange(dir: Node): void {
    for (const v of this.frozenViews) v.beforeChildrenChange(dir);
  }

  /** Keeps a node's value, modifiedIndex and TTL as they are for the snapshots being collected. */
  private beforeFieldsChange(n: Node): void {
    for (const v of this.frozenViews) v.beforeFieldsChange(n);
  }

  private snapshotState(): StoreState {
    return {
      index: this.currentIndex,
      historySize: this.hub.history.capacity,
      root: this.root,
      nodeCount: this.count,
      history: this.hub.history.entries(),
      counters: this.counters,
    };
  }

  /** A store in the state snapshot() saved; it has no watchers. Throws on a malformed snapshot. */
  static restore(buf: Buffer): Store {
    return Store.fromState(decodeSnapshot(buf));
  }

  /**
   * restore() without stalling the caller's event loop: decoded and rebuilt
   * a piece at a time, `pause()` awaited between pieces.
   */
  static async restoreInPieces(buf: Buffer, pause: () => Promise<void>): Promise<Store> {
    return Store.fromState(await decodeSnapshotInPieces(buf, pause));
  }

  private static fromState(s: RestoredState): Store {
    const store = new Store({ historySize: s.historySize });
    store.root = s.root;
    store.count = s.nodeCount;
    store.currentIndex = s.index;
    store.counters = s.counters;
    for (const n of s.expiring) store.ttl.push(n);
    for (const h of s.history) store.hub.history.add(h.event, h.refresh);
    return store;
  }

  // --- mutations (etcd's store.go, one method each) ---

  private put(r: PutRequest, time: number): Event {
    const value = str(r.value);
    const dir = r.dir === true;
    const refresh = r.refresh === true;
    const deadline = deadlineOf(r.ttl, time);
    const prevValue = r.prevValue ?? '';
    const prevIndex = r.prevIndex ?? 0n;
    const compare = prevIndex > 0n || prevValue !== '';
    if (r.prevExist === true) {
      if (compare) {
        return this.counted('compareAndSwapSuccess', 'compareAndSwapFail', () =>
          this.compareAndSwap(r.path, prevValue, prevIndex, value, deadline, refresh, time),
        );
      }
      return this.counted('updateSuccess', 'updateFail', () => this.update(r.path, value, deadline, refresh, time));
    }
    if (r.prevExist === false) {
      return this.counted('createSuccess', 'createFail', () =>
        this.create(r.path, dir, value, false, false, deadline, 'create', time, false),
      );
    }
    if (compare) {
      return this.counted('compareAndSwapSuccess', 'compareAndSwapFail', () =>
        this.compareAndSwap(r.path, prevValue, prevIndex, value, deadline, refresh, time),
      );
    }
    return this.counted('setsSuccess', 'setsFail', () => this.set(r.path, dir, value, deadline, refresh, time));
  }

  private delete(r: DeleteRequest, time: number): Event {
    const prevValue = r.prevValue ?? '';
    const prevIndex = r.prevIndex ?? 0n;
    if (prevIndex > 0n || prevValue !== '') {
      return this.counted('compareAndDeleteSuccess', 'compareAndDeleteFail', () =>
        this.compareAndDelete(r.path, prevValue, prevIndex, time),
      );
    }
    return this.counted('deleteSuccess', 'deleteFail', () =>
      this.remove(r.path, r.dir === true, r.recursive === true, time),
    );
  }

  private set(
    path: string,
    dir: boolean,
    value: string,
    deadline: number | null,
    refresh: boolean,
    time: number,
  ): Event {
    const p = cleanPath(path);
    const prev = this.lookup(p);
    if (prev instanceof Miss) {
      if (prev.code !== ErrorCode.KeyNotFound || refresh) throw new V2Error(prev.code, prev.cause, this.currentIndex);
    } else if (refresh) {
      value = prev.value;
    }
    return this.create(p, dir, value, false, true, deadline, 'set', time, refresh);
  }

  /** etcd's internalCreate: creates missing parent directories; `replace` lets it replace a key. */
  private create(
    path: string,
    dir: boolean,
    value: string,
    unique: boolean,
    replace: boolean,
    deadline: number | null,
    action: Action,
    time: number,
    refresh: boolean,
  ): Event {
    const curr = this.currentIndex;
    const next = curr + 1;
    const p = cleanPath(unique ? path + '/' + String(next).padStart(20, '0') : path);
    if (p === '/') throw new V2Error(ErrorCode.RootReadOnly, '/', curr);
    if (deadline !== null && deadline < MIN_EXPIRE_MS) deadline = null;
    const slash = p.lastIndexOf('/');
    const name = p.slice(slash + 1);
    const parent = this.makeParents(p, slash, next);
    const existing = parent.children!.get(name);
    let prevNode: NodeJSON | undefined;
    if (existing !== undefined) {
      if (!replace) throw new V2Error(ErrorCode.NodeExist, p, curr);
      if (existing.children !== null) throw new V2Error(ErrorCode.NotFile, p, curr);
      prevNode = nodeJSON(existing, p, time);
      this.detach(existing, p, null);
    }
    const n = dir ? Node.dir(name, parent, next) : Node.key(name, parent, next, value);
    this.beforeChildrenChange(parent);
    parent.children!.set(name, n);
    this.count++;
    if (deadline !== null) {
      n.expiry = { deadline, heapPos: -1 };
      this.ttl.push(n);
    }
    this.currentIndex = next;
    const e = makeEvent(
      action,
      makeNodeJSON(p, dir, dir ? undefined : value, deadline, time, null, next, next),
      prevNode,
      next,
    );
    if (refresh) this.hub.record(e);
    else this.hub.notify(e);
    return e;
  }

  private update(path: string, value: string, deadline: number | null, refresh: boolean, time: number): Event {
    const p = cleanPath(path);
    const curr = this.currentIndex;
    const next = curr + 1;
    if (p === '/') throw new V2Error(ErrorCode.RootReadOnly, '/', curr);
    const n = this.found(p);
    const dir = n.children !== null;
    if (dir && value.length !== 0) throw new V2Error(ErrorCode.NotFile, p, curr);
    if (refresh) value = n.value;
    const prevNode = nodeJSON(n, p, time);
    // As in etcd, a directory keeps its modifiedIndex: only its TTL changes.
    if (!dir) {
      this.beforeFieldsChange(n);
      n.value = value;
      n.modifiedIndex = next;
    }
    this.setDeadline(n, deadline);
    this.currentIndex = next;
    const node = makeNodeJSON(p, dir, dir ? undefined : value, deadline, time, null, next, n.createdIndex);
    const e = makeEvent('update', node, prevNode, next);
    if (refresh) this.hub.record(e);
    else this.hub.notify(e);
    return e;
  }

  private compareAndSwap(
    path: string,
    prevValue: string,
    prevIndex: bigint,
    value: string,
    deadline: number | null,
    refresh: boolean,
    time: number,
  ): Event {
    const p = cleanPath(path);
    const curr = this.currentIndex;
    if (p === '/') throw new V2Error(ErrorCode.RootReadOnly, '/', curr);
    const n = this.found(p);
    if (n.children !== null) throw new V2Error(ErrorCode.NotFile, p, curr);
    const failed = compareFailure(n, prevValue, prevIndex);
    if (failed !== null) throw new V2Error(ErrorCode.TestFailed, failed, curr);
    if (refresh) value = n.value;
    const next = curr + 1;
    const prevNode = nodeJSON(n, p, time);
    this.beforeFieldsChange(n);
    n.value = value;
    n.modifiedIndex = next;
    this.setDeadline(n, deadline);
    this.currentIndex = next;
    const e = makeEvent(
      'compareAndSwap',
      makeNodeJSON(p, false, value, deadline, time, null, next, n.createdIndex),
      prevNode,
      next,
    );
    if (refresh) this.hub.record(e);
    else this.hub.notify(e);
    return e;
  }

  private remove(path: string, dir: boolean, recursive: boolean, time: number): Event {
    const p = cleanPath(path);
    const curr = this.currentIndex;
    if (p === '/') throw new V2Error(ErrorCode.RootReadOnly, '/', curr);
    if (recursive) dir = true;
    const n = this.found(p);
    if (n.children !== null) {
      if (!dir) throw new V2Error(ErrorCode.NotFile, p, curr);
      if (n.children.size !== 0 && !recursive) throw new V2Error(ErrorCode.DirNotEmpty, p, curr);
    }
    const next = curr + 1;
    const node = makeNodeJSON(p, n.children !== null, undefined, null, time, null, next, n.createdIndex);
    const e = makeEvent('delete', node, nodeJSON(n, p, time), next);
    this.currentIndex = next;
    this.detach(n, p, e);
    this.hub.notify(e);
    return e;
  }

  private compareAndDelete(path: string, prevValue: string, prevIndex: bigint, time: number): Event {
    const p = cleanPath(path);
    const curr = this.currentIndex;
    const n = this.found(p);
    // etcd's root is its internal "/1" directory, a cause it trims to "".
    if (n.children !== null) throw new V2Error(ErrorCode.NotFile, p === '/' ? '' : p, curr);
    const failed = compareFailure(n, prevValue, prevIndex);
    if (failed !== null) throw new V2Error(ErrorCode.TestFailed, failed, curr);
    const next = curr + 1;
    const node = makeNodeJSON(p, false, undefined, null, time, null, next, n.createdIndex);
    const e = makeEvent('compareAndDelete', node, nodeJSON(n, p, time), next);
    this.currentIndex = next;
    this.detach(n, p, e);
    this.hub.notify(e);
    return e;
  }

  /** Deletes every node whose deadline is <= time, soonest first (ties by key), one event each. */
  private expire(time: number): void {
    for (;;) {
      const n = this.ttl.top();
      if (n === null || !(n.expiry!.deadline <= time) || this.currentIndex >= this.expireLimit) return;
      const key = pathOf(n);
      const next = this.currentIndex + 1;
      const node = makeNodeJSON(key, n.children !== null, undefined, null, time, null, next, n.createdIndex);
      const e = makeEvent('expire', node, nodeJSON(n, key, time), next);
      this.currentIndex = next;
      this.detach(n, key, e);
      this.counters.expireCount++;
      this.hub.notify(e);
    }
  }

  // --- tree helpers ---

  /**
   * The node at clean path `p`, or why there is none as etcd reports it: 100
   * naming the first missing segment, 104 naming a key used as a directory.
   * A miss is a plain object: creating a V2Error (with its stack) for every
   * new key a set creates would dominate the apply time.
   */
  private lookup(p: string): Node | Miss {
    let cur = this.root;
    if (p.length === 1) return cur;
    let start = 1;
    for (;;) {
      const end = p.indexOf('/', start);
      const stop = end === -1 ? p.length : end;
      if (cur.children === null) return new Miss(ErrorCode.NotDir, p.slice(0, start - 1));
      const child = cur.children.get(p.slice(start, stop));
      if (child === undefined) return new Miss(ErrorCode.KeyNotFound, p.slice(0, stop));
      if (end === -1) return child;
      cur = child;
      start = end + 1;
    }
  }

  private found(p: string): Node {
    const n = this.lookup(p);
    if (n instanceof Miss) throw new V2Error(n.code, n.cause, this.currentIndex);
    return n;
  }

  /** The directory that will hold clean path `p` (its last '/' at `slash`), creating missing ones at index `next`. */
  private makeParents(p: string, slash: number, next: number): Node {
    let cur = this.root;
    let start = 1;
    while (start <= slash) {
      const end = p.indexOf('/', start);
      const name = p.slice(start, end);
      let child = cur.children!.get(name);
      if (child === undefined) {
        child = Node.dir(name, cur, next);
        this.beforeChildrenChange(cur);
        cur.children!.set(name, child);
        this.count++;
      } else if (child.children === null) {
        // etcd counts this failure as a failed set too, whatever the request was.
        this.counters.setsFail++;
        throw new V2Error(ErrorCode.NotDir, p.slice(0, end), this.currentIndex);
      }
      cur = child;
      start = end + 1;
    }
    return cur;
  }

  /**
   * Takes `n` (keyed `key`) and its subtree out of the tree. With an event,
   * the watchers of every removed node's own path are told, children first.
   */
  private detach(n: Node, key: string, e: Event | null): void {
    this.beforeChildrenChange(n.parent!);
    n.parent!.children!.delete(n.name);
    const leaf = n.children === null || n.children.size === 0;
    const tell = e !== null && (leaf ? this.hub.watches(key) : this.hub.watchesUnder(key));
    visitPostOrder(n, key, tell, (m, k) => {
      this.count--;
      if (m.expiry !== null) this.ttl.remove(m);
      if (tell) this.hub.notifyWatchers(e!, k, true);
    });
  }

  /** etcd's UpdateTTL: null makes the node permanent. */
  private setDeadline(n: Node, deadline: number | null): void {
    this.beforeFieldsChange(n);
    if (n.expiry !== null) {
      if (deadline === null) {
        this.ttl.remove(n);
        n.expiry = null;
      } else {
        n.expiry.deadline = deadline;
        this.ttl.update(n);
      }
    } else if (deadline !== null) {
      n.expiry = { deadline, heapPos: -1 };
      this.ttl.push(n);
    }
  }

  private counted(ok: StatName, fail: StatName, op: () => Event): Event {
    let e: Event;
    try {
      e = op();
    } catch (err) {
      this.counters[fail]++;
      throw err;
    }
    this.counters[ok]++;
    return e;
  }
}

/** Why a lookup found no node. */
class Miss {
  constructor(
    readonly code: typeof ErrorCode.KeyNotFound | typeof ErrorCode.NotDir,
    readonly cause: string,
  ) {}
}

function makeEvent(action: Action, node: NodeJSON, prevNode: NodeJSON | undefined, etcdIndex: number): Event {
  const e = { action, node } as Event;
  if (prevNode !== undefined) e.prevNode = prevNode;
  e.etcdIndex = etcdIndex;
  return e;
}

/** etcd's cause for a failed comparison, or null when it holds ('' and 0 compare with anything). */
function compareFailure(n: Node, prevValue: string, prevIndex: bigint): string | null {
  const valueOk = prevValue === '' || n.value === prevValue;
  const indexOk = prevIndex === 0n || BigInt(n.modifiedIndex) === prevIndex;
  if (valueOk && indexOk) return null;
  if (valueOk) return `[${prevIndex} != ${n.modifiedIndex}]`;
  if (indexOk) return `[${prevValue} != ${n.value}]`;
  return `[${prevValue} != ${n.value}] [${prevIndex} != ${n.modifiedIndex}]`;
}

/** The deadline (ms) of a TTL in seconds given at `time`; null for none. */
function deadlineOf(ttl: number | null | undefined, time: number): number | null {
  if (ttl === null || ttl === undefined) return null;
  let d = time + ttl * 1000;
  if (!(d <= MAX_TIME_MS))
    d = MAX_TIME_MS; // also NaN
  else if (d < -MAX_TIME_MS) d = -MAX_TIME_MS;
  // etcd carries the deadline as Unix nanoseconds where 0 means "no TTL".
  return d === 0 ? null : d;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
