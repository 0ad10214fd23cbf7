// What fills the shared event window: one replay of the log from a start
// point up to the store index the live tree was at when the replay began,
// then the live store's own events as the apply loop records them. No entry
// is applied twice: the live events that arrive while the replay catches up
// wait in a bounded tail and follow the replay's last event into the window.
// The replay runs on this thread or on a worker's (ReplayThread); either
// way only the events from the index the watches need on reach the window.

import type { Store } from '../store/index.js';
import type { RecordedEvent } from './codec.js';
import { EventWindow } from './event-window.js';
import type { StartPoint } from './start-points.js';

/** A replay of the log that tells its events as it goes. */
export interface FeedReplay {
  /** The store index it reached. */
  readonly storeIndex: number;
  /** Moves on toward the target it was opened with: how far (entries or events), 0 when the log on disk holds nothing further yet. */
  step(): Promise<number>;
  close(): Promise<void>;
}

/** Starts a replay at `start` that ends at store index `target` and tells (at least) the events from `from` on. */
export type OpenReplay = (
  start: StartPoint,
  target: number,
  from: number,
  onEvent: (e: RecordedEvent) => void,
) => Promise<FeedReplay>;

export type StepResult =
  /** The replay applied entries (or reached the live events). */
  | 'moved'
  /** The log on disk holds nothing further yet. */
  | 'stalled'
  /** No replay runs: the window already follows the live store (or nothing was started). */
  | 'idle';

export class EventFeed {
  readonly window: EventWindow;
  private replay: FeedReplay | null = null;
  /** The live store whose events follow the replay's, null when stopped. */
  private live: Store | null = null;
  private unobserve: (() => void) | null = null;
  /** The live store's index when the replay began: the replay ends there, the live events start after it. */
  private target = 0;
  /** True once the window takes the live events directly. */
  private caughtUp = false;
  /** Live events after `target` that came while the replay was behind it, at most `capacity` of the newest. */
  private tail: RecordedEvent[] = [];
  /** Bumped by every start and stop, so a start that was overtaken while it read its snapshot lets go. */
  private generation = 0;

  constructor(
    private readonly capacity: number,
    private readonly open: OpenReplay,
  ) {
    this.window = new EventWindow(capacity);
  }

  /** True while a replay fills the window (it has not reached the live events yet). */
  get replaying(): boolean {
    return this.live !== null && !this.caughtUp;
  }

  /** The store index the running replay is at, or null when none runs. */
  get replayIndex(): number | null {
    return this.replay?.storeIndex ?? null;
  }

  /** Whether the window follows `store` (false when stopped, or once a snapshot from the leader replaced the tree). */
  follows(store: Store): boolean {
    return this.live === store;
  }

  /**
   * Empties the window and starts a replay at `start` that ends at the live
   * store's index now; from then on the live store's events are recorded.
   * The window begins at `need`: the events before it would cost the
   * replay's thread a copy each (the worker's, one across threads) for
   * watches that are not waiting. Resolves once the replay is under way.
   */
  async start(start: StartPoint, live: Store, need: number): Promise<void> {
    this.stop();
    const generation = this.generation;
    this.live = live;
    // Read together with the observer's registration: every live event after it is caught.
    this.target = live.index;
    const from = Math.max(start.storeIndex + 1, need);
    this.window.reset(from);
    this.unobserve = live.observe((event, refresh) => this.onLive({ event, refresh }));
    const replay = await this.open(start, this.target, from, (e) => {
      // A replay overtaken by a stop may still be applying the stretch it read.
      if (generation === this.generation && e.event.node.modifiedIndex >= from) this.window.add(e);
    });
    if (generation !== this.generation) {
      await replay.close();
      return;
    }
    this.replay = replay;
    if (replay.storeIndex >= this.target) await this.finish();
  }

  /** Applies the next stretch of the log, up to the live store's index at the start. */
  async step(): Promise<StepResult> {
    const replay = this.replay;
    if (replay === null) return 'idle';
    const generation = this.generation;
    const applied = await replay.step();
    if (generation !== this.generation) return 'moved';
    if (replay.storeIndex >= this.target) {
      await this.finish();
      return 'moved';
    }
    return applied > 0 ? 'moved' : 'stalled';
  }

  /** Drops the replay, the window and the live observer. */
  stop(): void {
    this.generation++;
    this.unobserve?.();
    this.unobserve = null;
    this.live = null;
    this.caughtUp = false;
    this.tail = [];
    this.window.reset(1);
    const replay = this.replay;
    this.replay = null;
    // Closing only releases the segment being read; nothing waits for it.
    void replay?.close();
  }

  /** The replay reached the live events: the tail follows its last event, and the window takes live events from now on. */
  private async finish(): Promise<void> {
    const replay = this.replay;
    this.replay = null;
    this.caughtUp = true;
    // A tail that lost its oldest events leaves a gap: the window then restarts at the tail's first.
    for (const e of this.tail) this.window.add(e);
    this.tail = [];
    await replay?.close();
  }

  private onLive(e: RecordedEvent): void {
    if (this.caughtUp) {
      this.window.add(e);
      return;
    }
    this.tail.push(e);
    // Trim in batches, as the window does: one copy per quarter of the capacity.
    if (this.tail.length > this.capacity + (this.capacity >> 2)) this.tail = this.tail.slice(-this.capacity);
  }
}
