// The log as an event store. A watch whose waitIndex is older than the
// store's in-memory window (etcd's last 1000 events) is answered from the
// committed log: a replay from the nearest start point (snapshot or empty
// tree) up to the live tree's index records the very events the member
// recorded into a bounded window that every disk-served watch shares; the
// live store's events then follow in the same window, and a watch that
// catches up with the in-memory window is handed over to the live store.
// Reads at a past index replay to exactly that index and keep the tree a
// short while.
//
// All log reading is asynchronous and a bounded step at a time; one replay
// serves all waiting watches, one more builds point-in-time trees, and the
// requests waiting on either are limited (past it: etcd's "too many requests").

import type { Logger } from 'pino';
import {
  cleanPath,
  ErrorCode,
  V2Error,
  type Event,
  type Store,
  type WatchHandle,
  type WatchOptions,
} from '../store/index.js';
import { tooManyRequests } from '../errors/index.js';
import { EventFeed, type OpenReplay } from './event-feed.js';
import type { StateCodec } from './codec.js';
import { Replay, StepPacer } from './replay.js';
import { ReplayThread } from './replay-thread.js';
import { StartPoints } from './start-points.js';

/** What a replay of the log is for: the shared window of watches, or a tree at a past index. */
export type ReplayPurpose = 'watch' | 'tree';

export interface HistoryOptions {
  readonly dataDir: string;
  /** How the member's snapshots and entries are decoded. */
  readonly codec: StateCodec;
  /** The member's live store (a snapshot from the leader replaces it). */
  readonly store: () => Store;
  readonly logger: Logger;
  /** Requests waiting for the log at once (watches and point-in-time reads); past it they are refused. */
  readonly maxScans?: number;
  /** Events the shared window keeps. */
  readonly windowEvents?: number;
  /** Point-in-time trees kept, and for how long. */
  readonly trees?: number;
  readonly treeTtlMs?: number;
  /** The replay and its window are dropped after this long without a disk-served watch. */
  readonly idleMs?: number;
  /**
   * A module (its URL) that calls serveReplays with this codec when imported:
   * the replays that fill the watches' window then run on a worker thread,
   * off the member's event loop. Without it they run on this thread.
   */
  readonly replayWorker?: string;
  /** Told of every replay of the log started (for kvd_history_replays_total). */
  readonly onReplay?: (purpose: ReplayPurpose) => void;
}

export const DEFAULT_MAX_SCANS = 256;
const DEFAULT_WINDOW_EVENTS = 10_000;
const DEFAULT_TREES = 2;
const DEFAULT_TREE_TTL_MS = 15_000;
const DEFAULT_IDLE_MS = 60_000;
/** A replay this many events behind a newer start point is restarted from it instead of read on. */
const RESTART_GAP = 20_000;

interface DiskWatch {
  readonly key: string;
  readonly opts: WatchOptions;
  readonly onEvent: (e: Event) => void;
  readonly onEnd: () => void;
  /** The next index to look at. */
  from: number;
  /** The live watch it was handed to, once it caught up. */
  live: WatchHandle | null;
  done: boolean;
}

interface Tree {
  readonly store: Store;
  /** The time of its last entry: TTLs are shown as of then. */
  readonly time: number | null;
  readonly expires: number;
}

const ENDED: WatchHandle = { cancel() {} };

export class History {
  private readonly points: StartPoints;
  private readonly feed: EventFeed;
  private readonly thread: ReplayThread | null;
  private readonly maxScans: number;
  private readonly treeCap: number;
  private readonly treeTtlMs: number;
  private readonly idleMs: number;
  private readonly waiting = new Set<DiskWatch>();
  private pumping = false;
  private idleTimer: NodeJS.Timeout | null = null;
  /** When a watch last took an event from the shared window (ms). */
  private lastUse = 0;
  private readonly trees = new Map<number, Tree>();
  private readonly building = new Map<number, Promise<Tree>>();
  private treeChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: HistoryOptions) {
    this.points = new StartPoints(opts.dataDir, opts.codec);
    this.thread = opts.replayWorker === undefined ? null : new ReplayThread(opts.replayWorker);
    this.feed = new EventFeed(opts.windowEvents ?? DEFAULT_WINDOW_EVENTS, this.opener());
    this.maxScans = opts.maxScans ?? DEFAULT_MAX_SCANS;
    this.treeCap = opts.trees ?? DEFAULT_TREES;
    this.treeTtlMs = opts.treeTtlMs ?? DEFAULT_TREE_TTL_MS;
    this.idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;
  }

  /** Worker threads replaying the log now (0 or 1). */
  get replayThreads(): number {
    return this.thread?.threads ?? 0;
  }

  /** The oldest store index a watch may ask for, from memory or the log. */
  oldestWatchIndex(): number {
    const live = this.opts.store().oldestWatchableIndex;
    const [oldest] = this.points.list();
    return oldest === undefined ? live : Math.min(live, oldest.storeIndex + 1);
  }

  /** The oldest store index whose tree can be rebuilt (a read or hash at it), or null when none can. */
  oldestTreeIndex(): number | null {
    const [oldest] = this.points.list();
    return oldest === undefined ? null : oldest.storeIndex;
  }

  /**
   * Watches `path` like Store.watch, but a sinceIndex older than the store's
   * window is answered from the log. Throws V2Error: 401 below the oldest
   * index still available (its cause names that index), or "too many
   * requests" when too many watches wait for the log. `onEnd` is called when
   * the log cannot answer after all (it lost the stretch asked for, or a
   * read failed): the response ends without an event and the client asks again.
   */
  watch(path: string, opts: WatchOptions, onEvent: (e: Event) => void, onEnd: () => void): WatchHandle {
    const live = this.opts.store();
    const since = opts.sinceIndex;
    if (since === null || since === 0 || since >= live.oldestWatchableIndex) return live.watch(path, opts, onEvent);
    const oldest = this.oldestWatchIndex();
    if (since < oldest) {
      throw new V2Error(
        ErrorCode.EventIndexCleared,
        `the requested history has been cleared [${oldest}/${since}]`,
        live.index,
      );
    }
    const w: DiskWatch = { key: cleanPath(path), opts, onEvent, onEnd, from: since, live: null, done: false };
    this.settle(w);
    if (w.done) return w.live ?? ENDED;
    if (this.waiting.size + this.building.size >= this.maxScans) {
      throw tooManyRequests();
    }
    this.waiting.add(w);
    void this.pump();
    return {
      cancel: () => {
        w.done = true;
        this.waiting.delete(w);
        w.live?.cancel();
      },
    };
  }

  /**
   * The node at `path` as it was just after store index `index`. Rejects
   * with V2Error: 450 for an index past the current one, 451 for one older
   * than the oldest start point, or the store's own errors (100 for a key
   * that did not exist then). The event's etcdIndex is `index`.
   */
  async readAt(path: string, recursive: boolean, sorted: boolean, index: number): Promise<Event> {
    const tree = await this.treeAt(index);
    const e = tree.store.get(path, recursive, sorted, tree.time ?? Date.now());
    e.etcdIndex = index;
    return e;
  }

  /** The tree just after store index `index` (the live one at the current index). Rejects as readAt does. */
  async treeAt(index: number): Promise<{ readonly store: Store; readonly time: number | null }> {
    const live = this.opts.store();
    if (index > live.index) {
      throw new V2Error(
        ErrorCode.IndexInFuture,
        `requested index ${index} is past the current index ${live.index}`,
        live.index,
      );
    }
    if (index === live.index) return { store: live, time: null };
    const oldest = this.oldestTreeIndex();
    if (oldest === null || index < oldest) {
      const cause =
        oldest === null ? 'no snapshot or log reaches back to it' : `the oldest index still available is ${oldest}`;
      throw new V2Error(ErrorCode.IndexCompacted, `${cause} [${oldest ?? live.index}/${index}]`, live.index);
    }
    const now = Date.now();
    const cached = this.trees.get(index);
    if (cached !== undefined && cached.expires > now) return cached;
    const pending = this.building.get(index);
    if (pending !== undefined) return pending;
    if (this.waiting.size + this.building.size >= this.maxScans) {
      throw tooManyRequests();
    }
    // One tree is built at a time: each holds a whole copy of the state.
    const build = this.treeChain.then(() => this.buildTree(index));
    this.treeChain = build.catch(() => undefined);
    this.building.set(index, build);
    try {
      return await build;
    } finally {
      this.building.delete(index);
    }
  }

  /** Drops the replay, the window and the trees; waiting watches end. */
  async close(): Promise<void> {
    this.closed = true;
    this.endWaiting();
    this.trees.clear();
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.feed.stop();
    await this.thread?.close();
  }

  // ---- watches ---------------------------------------------------------------

  /** How the shared window's replays run: on the worker thread when there is one. */
  private opener(): OpenReplay {
    const { dataDir, codec } = this.opts;
    const thread = this.thread;
    if (thread !== null)
      return async (start, target, from, onEvent) => thread.open(dataDir, start, target, from, onEvent);
    return async (start, target, _from, onEvent) => {
      const replay = await Replay.from(dataDir, codec, start, onEvent);
      return {
        get storeIndex() {
          return replay.storeIndex;
        },
        step: () => replay.step(target),
        close: () => replay.close(),
      };
    };
  }

  /** Answers `w` from the window or hands it to the live store when it can; marks it done if so. */
  private settle(w: DiskWatch): void {
    const live = this.opts.store();
    // A window that stopped following the live tree (a snapshot from the leader replaced it) may lack its newest events.
    const window = this.feed.follows(live) ? this.feed.window : null;
    for (;;) {
      const found = window === null ? ({ kind: 'outside' } as const) : window.find(w.key, w.opts.recursive, w.from);
      if (found.kind === 'event') {
        w.done = true;
        this.lastUse = Date.now();
        // As a watch answered from memory: the event as recorded, X-Etcd-Index the store's now.
        const replay = { action: found.event.action, node: found.event.node } as Event;
        if (found.event.prevNode !== undefined) replay.prevNode = found.event.prevNode;
        replay.etcdIndex = live.index;
        w.onEvent(replay);
        return;
      }
      if (found.kind === 'none') {
        w.from = found.next;
        continue;
      }
      if (w.from >= live.oldestWatchableIndex) {
        w.done = true;
        w.live = live.watch(w.key, { ...w.opts, sinceIndex: w.from }, w.onEvent);
      }
      return;
    }
  }

  /** Moves the shared replay forward while watches wait, settling them as events arrive. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    const pacer = new StepPacer(() => `${this.feed.replayIndex ?? '?'}, behind the live tree's`);
    try {
      while (!this.closed) {
        // A snapshot from the leader replaced the live tree: the window no longer follows it.
        if (!this.feed.follows(this.opts.store())) this.feed.stop();
        for (const w of this.waiting) {
          if (!w.done) this.settle(w);
          if (w.done) this.waiting.delete(w);
        }
        if (this.waiting.size === 0) break;
        let need = Infinity;
        for (const w of this.waiting) need = Math.min(need, w.from);
        if (!(await this.replayFor(need))) continue;
        await pacer.after((await this.feed.step()) !== 'stalled');
      }
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'cannot answer watches from the log; ending them');
      this.endWaiting();
      this.feed.stop();
    } finally {
      this.pumping = false;
      this.scheduleIdle();
    }
  }

  /**
   * Makes sure a replay runs that goes on from `need`: the running one, or
   * a new one from the newest start point below it when the running one
   * cannot reach it (or a start point is much closer). False when no start
   * point reaches `need`: the watches that need it have ended.
   */
  private async replayFor(need: number): Promise<boolean> {
    const live = this.opts.store();
    const start = this.points.atOrBelow(need - 1);
    const at = this.feed.replayIndex;
    const usable =
      this.feed.replaying &&
      this.feed.follows(live) &&
      need >= this.feed.window.first &&
      (start === null || at === null || start.storeIndex < at + RESTART_GAP);
    if (usable) return true;
    if (start === null) {
      // The log was released past these watches while they waited.
      for (const w of this.waiting) {
        if (w.from === need) this.end(w);
      }
      return false;
    }
    this.opts.onReplay?.('watch');
    await this.feed.start(start, live, need);
    return true;
  }

  private end(w: DiskWatch): void {
    this.waiting.delete(w);
    if (w.done) return;
    w.done = true;
    w.onEnd();
  }

  private endWaiting(): void {
    for (const w of [...this.waiting]) this.end(w);
  }

  private scheduleIdle(): void {
    if (this.closed) return;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.pumping) return;
      // Watches answered from the window at once keep it, as waiting ones do.
      if (Date.now() - this.lastUse < this.idleMs) this.scheduleIdle();
      else {
        this.feed.stop();
        void this.thread?.idle();
      }
    }, this.idleMs);
    this.idleTimer.unref();
  }

  // ---- trees at a past index -----------------------------------------------------

  private async buildTree(index: number): Promise<Tree> {
    const start = this.points.atOrBelow(index);
    if (start === null)
      throw new V2Error(
        ErrorCode.IndexCompacted,
        `the log no longer reaches back to index ${index}`,
        this.opts.store().index,
      );
    this.opts.onReplay?.('tree');
    const replay = await Replay.from(this.opts.dataDir, this.opts.codec, start, null);
    try {
      const pacer = new StepPacer(() => `${replay.storeIndex}, before ${index}`);
      while (replay.storeIndex < index) await pacer.after((await replay.step(index)) > 0);
    } finally {
      await replay.close();
    }
    const tree: Tree = { store: replay.store, time: replay.lastTime, expires: Date.now() + this.treeTtlMs };
    this.keepTree(index, tree);
    return tree;
  }

  private keepTree(index: number, tree: Tree): void {
    const now = Date.now();
    for (const [i, t] of this.trees) if (t.expires <= now) this.trees.delete(i);
    this.trees.set(index, tree);
    // Each tree is a whole copy of the state: let it go when it expires even if nobody asks again.
    setTimeout(() => {
      if (this.trees.get(index) === tree) this.trees.delete(index);
    }, this.treeTtlMs).unref();
    for (const old of this.trees.keys()) {
      if (this.trees.size <= this.treeCap) break;
      this.trees.delete(old);
    }
  }
}
