// A private copy of the member's state rebuilt from a start point (a snapshot
// or the empty tree) and moved forward through the committed log, entry by
// entry, with the very function the apply loop uses: the events it records
// are the events the member recorded, index for index.

import { setImmediate, setTimeout } from 'node:timers/promises';
import type { Entry } from '../wire/index.js';
import { CommittedLogReader, readSnapshotFileAsync } from '../storage/index.js';
import type { Store } from '../store/index.js';
import type { RecordedEvent, ReplayMachine, StateCodec } from './codec.js';
import type { StartPoint } from './start-points.js';

/** Entries applied per step: a step is one bounded piece of work between two turns of the event loop. */
export const STEP_ENTRIES = 256;
/** Steps in a row that find nothing new on disk before a replay gives up (the log cannot be behind the live tree for long). */
const MAX_STALLED_STEPS = 500;
const STALL_WAIT_MS = 10;

/**
 * Paces a loop that steps a replay: a turn of the event loop after a step
 * that moved, a short wait after one that found nothing new on disk yet, and
 * an error once that has gone on for MAX_STALLED_STEPS steps in a row.
 */
export class StepPacer {
  private stalled = 0;

  /** `where` says where the log on disk ends, for the error. */
  constructor(private readonly where: () => string) {}

  async after(moved: boolean): Promise<void> {
    if (moved) {
      this.stalled = 0;
      await setImmediate();
    } else if (++this.stalled >= MAX_STALLED_STEPS) {
      throw new Error(`the log on disk ends at store index ${this.where()}`);
    } else {
      await setTimeout(STALL_WAIT_MS);
    }
  }
}

export class Replay {
  /** The time stamped on the last entry applied (ms), null until one is; kept only by copies without an event observer. */
  lastTime: number | null = null;
  /** The entry being applied (while an event observer is told) or applied last; null before the first. */
  entry: Entry | null = null;
  private stopped = false;

  private constructor(
    private readonly sm: ReplayMachine,
    private readonly codec: StateCodec,
    private readonly reader: CommittedLogReader,
    readonly start: StartPoint,
    private readonly onEvent: ((e: RecordedEvent) => void) | null,
  ) {
    if (onEvent !== null) sm.store.observe((event, refresh) => onEvent({ event, refresh }));
  }

  /** The state at `start`; the snapshot file is read on the thread pool, its CRC checked and its tree decoded in pieces. */
  static async from(
    dataDir: string,
    codec: StateCodec,
    start: StartPoint,
    onEvent: ((e: RecordedEvent) => void) | null,
  ): Promise<Replay> {
    const sm =
      start.path === null ? codec.empty() : await codec.fromSnapshot((await readSnapshotFileAsync(start.path)).data);
    return new Replay(sm, codec, new CommittedLogReader(dataDir, start.raftIndex), start, onEvent);
  }

  /** The store index the copy is at. */
  get storeIndex(): number {
    return this.sm.store.index;
  }

  /** True once a step found the committed log on disk ends where the copy is (for now: a live member writes on). */
  get atLogEnd(): boolean {
    return this.reader.drained;
  }

  /** The copy's tree (for reads at this point). */
  get store(): Store {
    return this.sm.store;
  }

  /**
   * Applies up to STEP_ENTRIES more committed entries, stopping early once
   * the store index reaches `until`. Returns how many were applied: 0 when
   * the log on disk holds nothing further yet, or `until` is reached.
   */
  async step(until = Infinity): Promise<number> {
    if (this.stopped || this.storeIndex >= until) return 0;
    if (until !== Infinity) this.sm.store.stopExpiringAt(until);
    const entries = await this.reader.next(STEP_ENTRIES);
    let applied = 0;
    for (const e of entries) {
      if (this.storeIndex >= until) {
        // Entries past the point are not needed; this copy ends here.
        this.stopped = true;
        break;
      }
      this.apply(e);
      applied++;
    }
    return applied;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.reader.close();
  }

  private apply(e: Entry): void {
    // Point-in-time copies show TTLs as of their last entry; event replays need no time.
    if (this.onEvent === null) this.lastTime = this.codec.entryTime(e) ?? this.lastTime;
    this.entry = e;
    this.sm.apply(e);
  }
}
