// Where a replay of the log can begin: every snapshot file still on disk
// (with the store index its tree is at), and the empty tree before raft
// index 1 while the log still starts there. A snapshot's store index is read
// from the first bytes of its file once and remembered by file name, and the
// list is kept until the snapshot or segment directory changes (a file
// added, renamed or removed changes the directory's mtime).

import fs from 'node:fs';
import { listSegments, listSnapshotFiles, peekSnapshotFile, snapDir, walDir } from '../storage/index.js';
import { snapshotIndexOf } from '../store/index.js';
import type { StateCodec } from './codec.js';

export interface StartPoint {
  /** The snapshot file; null for the empty tree before the first entry. */
  readonly path: string | null;
  readonly raftIndex: number;
  readonly storeIndex: number;
}

/** Enough for a snapshot's member list and the start of its tree in all but huge clusters. */
const PEEK_BYTES = 64 * 1024;
/** File names whose store index could not be read, not retried. */
const UNREADABLE = -1;
/**
 * A directory changed this recently (ms) may change again without its mtime
 * moving (file systems stamp times at a coarse tick), so a list read then is
 * not kept.
 */
const RACY_MS = 1000;

export class StartPoints {
  private readonly known = new Map<string, number>();
  private cached: { readonly stamp: string; readonly points: readonly StartPoint[] } | null = null;
  /** Lists of the directories read (for tests: the cache's effect). */
  reads = 0;

  constructor(
    private readonly dataDir: string,
    private readonly codec: StateCodec,
  ) {}

  /** The start points on disk now, by store index then raft index, oldest first. */
  list(): readonly StartPoint[] {
    const now = Date.now();
    const dirs = [walDir(this.dataDir), snapDir(this.dataDir)].map(modifiedAt);
    const stamp = dirs.join('/');
    if (this.cached !== null && this.cached.stamp === stamp) return this.cached.points;
    const points = this.read();
    this.cached = dirs.every((t) => t !== null && now - t >= RACY_MS) ? { stamp, points } : null;
    return points;
  }

  /** The newest start point whose store index is at most `storeIndex`, or null. */
  atOrBelow(storeIndex: number): StartPoint | null {
    let best: StartPoint | null = null;
    for (const p of this.list()) if (p.storeIndex <= storeIndex) best = p;
    return best;
  }

  private read(): StartPoint[] {
    this.reads++;
    const out: StartPoint[] = [];
    const [firstSegment] = listSegments(this.dataDir);
    if (firstSegment !== undefined && firstSegment.firstIndex <= 1)
      out.push({ path: null, raftIndex: 0, storeIndex: 0 });
    const seen = new Set<string>();
    for (const f of listSnapshotFiles(this.dataDir)) {
      seen.add(f.name);
      let storeIndex = this.known.get(f.name);
      if (storeIndex === undefined) {
        storeIndex = storeIndexOfFile(f.path, this.codec);
        this.known.set(f.name, storeIndex);
      }
      if (storeIndex !== UNREADABLE) out.push({ path: f.path, raftIndex: f.index, storeIndex });
    }
    for (const name of this.known.keys()) if (!seen.has(name)) this.known.delete(name);
    return out.sort((a, b) => a.storeIndex - b.storeIndex || a.raftIndex - b.raftIndex);
  }
}

/** A directory's mtime (ms, fractional), null when it does not exist. */
function modifiedAt(dir: string): number | null {
  try {
    return fs.statSync(dir).mtimeMs;
  } catch {
    return null;
  }
}

function storeIndexOfFile(path: string, codec: StateCodec): number {
  try {
    const { dataPrefix } = peekSnapshotFile(path, PEEK_BYTES);
    return snapshotIndexOf(codec.storeBytes(dataPrefix)) ?? UNREADABLE;
  } catch {
    // Damaged, being removed, or a member list past PEEK_BYTES: not a start point.
    return UNREADABLE;
  }
}
