// Every change the committed log of a data dir records, for operator tools
// (segdump history): the state at the oldest start point (the empty tree
// while the log starts at index 1, else the oldest snapshot kept), then each
// event with the entry that made it, replayed with the same function the
// apply loop uses, so the events are those the member recorded.

import type { Event, Store } from '../store/index.js';
import type { StateCodec } from './codec.js';
import { Replay } from './replay.js';
import { StartPoints } from './start-points.js';

export interface LogChange {
  readonly event: Event;
  /** A refresh: only the TTL changed, and watchers never see it. */
  readonly refresh: boolean;
  /** The raft index of the entry that made it. */
  readonly raftIndex: number;
  /** The time stamped on that entry (ms since the epoch), null for one without. */
  readonly time: number | null;
}

export interface LogStart {
  /** The snapshot file the changes start after; null for the empty tree before index 1. */
  readonly snapshot: string | null;
  readonly raftIndex: number;
  readonly storeIndex: number;
  /** The state there (read it before the first change arrives: the replay moves it on). */
  readonly store: Store;
}

export interface LogChangeVisitor {
  start(s: LogStart): void;
  /** Whether a change is wanted: the entry's time is decoded only for these. */
  wants(e: Event): boolean;
  change(c: LogChange): void;
}

/** Where the committed log ended. */
export interface LogEnd {
  readonly raftIndex: number;
  readonly storeIndex: number;
}

/**
 * Replays the committed log of `dataDir` from its oldest start point to its
 * end, telling `visit` of the state there and of every change wanted.
 * Throws when no start point exists (the log starts after index 1 and no
 * snapshot is kept) or the log is damaged (lib/storage's StorageError).
 */
export async function replayLogChanges(dataDir: string, codec: StateCodec, visit: LogChangeVisitor): Promise<LogEnd> {
  const [start] = new StartPoints(dataDir, codec).list();
  if (start === undefined) throw new Error(`${dataDir} holds neither a log starting at index 1 nor a snapshot`);
  let replay: Replay | null = null;
  const onEvent = ({ event, refresh }: { event: Event; refresh: boolean }): void => {
    if (replay === null || !visit.wants(event)) return;
    const entry = replay.entry;
    visit.change({
      event,
      refresh,
      raftIndex: entry?.index ?? start.raftIndex,
      time: entry === null ? null : codec.entryTime(entry),
    });
  };
  const r = await Replay.from(dataDir, codec, start, onEvent);
  replay = r;
  try {
    visit.start({ snapshot: start.path, raftIndex: start.raftIndex, storeIndex: start.storeIndex, store: r.store });
    for (;;) {
      const applied = await r.step();
      if (applied === 0 && r.atLogEnd) break;
    }
    return { raftIndex: r.entry?.index ?? start.raftIndex, storeIndex: r.storeIndex };
  } finally {
    await r.close();
  }
}
