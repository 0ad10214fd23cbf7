// Reads the committed entries of a live member's log, from any index the
// segments still hold, asynchronously and a bounded chunk at a time, while
// the member goes on appending: the history module replays old events with
// it without blocking the event loop or holding a segment in memory.
//
// The segments hold every record ever appended, including entries a new
// leader later overwrote. An entry is known to be committed once a hard
// state record with a commit index at or past it follows it (committed
// entries are never overwritten), so entries wait in `pending` until then,
// and a rewrite of an index drops what it replaces.

import fs from 'node:fs';
import { present } from '../assert.js';
import type { Entry, HardState } from '../wire/index.js';
import { decodeEntry } from '../wire/index.js';
import { StorageError } from './errors.js';
import { listSegments, type SegmentFile } from './files.js';
import { crc32Range, FRAME_BYTES } from './framing.js';
import { parseHeader } from './scan.js';
import { hardStateType, markerType, Tag, type SnapshotMarker } from './schema.js';

/** How much of a segment one read takes (and so the most a reader holds at once, but for one record larger than this). */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

export interface CommittedLogReaderOptions {
  readonly chunkBytes?: number;
}

/**
 * The committed entries after `after`, in index order. Not reentrant: await
 * each next() before the next call. Throws StorageError: GAP when the log
 * no longer holds (or never held) the entries right after the last one
 * returned, CORRUPT for a bad record that cannot be a write in progress.
 */
export class CommittedLogReader {
  private readonly chunkBytes: number;
  private segments: SegmentFile[] = [];
  private segment: SegmentFile | null = null;
  private fh: fs.promises.FileHandle | null = null;
  /** Where the next read of the open segment starts. */
  private fileOffset = 0;
  /** Bytes read from the open segment and not yet parsed (starting at fileOffset - held.length). */
  private held: Buffer = Buffer.alloc(0);
  /** The CRC the next record chains from; null before the segment's header is read. */
  private seed: number | null = null;
  /** The last index returned (or `after`). */
  private last: number;
  /** Entries read but not yet known to be committed. */
  private pending: Entry[] = [];
  /** Entries known committed, not yet returned. */
  private ready: Entry[] = [];
  private closed = false;
  /** Whether the last next() read up to the end of what the log holds on disk. */
  private reachedEnd = false;

  constructor(
    private readonly dataDir: string,
    after: number,
    opts: CommittedLogReaderOptions = {},
  ) {
    this.last = after;
    this.chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  }

  /**
   * True when the last next() stopped at the end of what the log holds on
   * disk (not at `max` entries or its chunk limit): an empty answer then
   * means the committed log ends here for now, not that more reading is due.
   */
  get drained(): boolean {
    return this.reachedEnd && this.ready.length === 0;
  }

  /** The last index returned so far (the `after` given until the first entry). */
  get position(): number {
    return this.last;
  }

  /**
   * Up to `max` committed entries after the last returned; an empty array
   * when the log on disk holds no further committed entry yet. Reads at most
   * `maxChunks` chunks per call.
   */
  async next(max: number, maxChunks = 8): Promise<Entry[]> {
    if (this.closed) throw new Error('CommittedLogReader is closed');
    this.reachedEnd = false;
    for (let chunks = 0; this.ready.length < max && chunks < maxChunks; chunks++) {
      if (!(await this.readChunk())) {
        this.reachedEnd = true;
        break;
      }
    }
    const out = this.ready.length <= max ? this.ready : this.ready.slice(0, max);
    this.ready = this.ready.length <= max ? [] : this.ready.slice(max);
    const newest = out.at(-1);
    if (newest !== undefined) this.last = newest.index;
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }

  /** Reads and parses one chunk; false when there is nothing more on disk now. */
  private async readChunk(): Promise<boolean> {
    if (this.fh === null && !(await this.openNext())) return false;
    const fh = this.fh;
    if (fh === null) return false;
    const buf = Buffer.allocUnsafe(this.chunkBytes);
    const { bytesRead } = await fh.read(buf, 0, buf.length, this.fileOffset);
    this.fileOffset += bytesRead;
    this.held =
      this.held.length === 0 ? buf.subarray(0, bytesRead) : Buffer.concat([this.held, buf.subarray(0, bytesRead)]);
    const parsed = this.parse();
    if (parsed === 'end') return this.moveOn();
    if (parsed === 'wait') return false;
    if (bytesRead === 0) {
      // A record still being written, or the end of the newest segment.
      if (this.isNewest()) return false;
      if (this.held.length > 0)
        throw this.corrupt('the segment ends inside a record', this.fileOffset - this.held.length);
      return this.moveOn();
    }
    return true;
  }

  /**
   * Parses the complete records held: 'end' when the segment's written part
   * ended (a zero length: its preallocated tail), 'wait' at a record of the
   * newest segment that is not whole on disk yet, 'more' when the next
   * record needs more bytes.
   */
  private parse(): 'end' | 'wait' | 'more' {
    const buf = this.held;
    let off = 0;
    if (this.seed === null) {
      if (buf.length < FRAME_BYTES || buf.length < FRAME_BYTES + buf.readUInt32LE(0)) return 'more';
      const h = parseHeader(buf);
      if ('error' in h) throw this.corrupt(h.error, 0);
      this.seed = h.crc;
      off = h.end;
    }
    const consumedBefore = this.fileOffset - buf.length;
    try {
      while (off + FRAME_BYTES <= buf.length) {
        const len = buf.readUInt32LE(off);
        if (len === 0) return 'end';
        const body = off + FRAME_BYTES;
        const end = body + len;
        if (end > buf.length) break;
        const crc = buf.readUInt32LE(off + 4);
        if (crc32Range(buf, body, end, this.seed) !== crc) {
          // In the newest segment this may be a batch not yet fully written: try again later.
          if (this.isNewest()) return 'wait';
          throw this.corrupt('record fails its CRC', consumedBefore + off);
        }
        this.record(buf, body, end, consumedBefore + off);
        this.seed = crc;
        off = end;
      }
      return 'more';
    } finally {
      this.held = buf.subarray(off);
    }
  }

  private record(buf: Buffer, body: number, end: number, at: number): void {
    switch (buf[body]) {
      case Tag.Entry: {
        const e = decodeEntry(buf, body + 1, end);
        if (e === null) throw this.corrupt('an entry record passes its CRC but does not decode', at);
        this.entry(e, at);
        return;
      }
      case Tag.HardState: {
        const h = hardStateType.fromBuffer(buf.subarray(body + 1, end)) as HardState;
        this.committed(h.commit);
        return;
      }
      case Tag.SnapshotMarker: {
        const m = markerType.fromBuffer(buf.subarray(body + 1, end)) as SnapshotMarker;
        if (!m.resetsLog) return;
        // The log restarts after a snapshot from the leader: what came before is in that snapshot only.
        this.pending = [];
        if (m.index > this.lastSeen()) throw this.gap(`the log restarts after a snapshot at index ${m.index}`);
        return;
      }
      default:
        throw this.corrupt(`a record of unexpected kind (union branch byte ${buf[body]})`, at);
    }
  }

  private entry(e: Entry, at: number): void {
    if (e.index <= this.lastSeenCommitted()) return; // covered by where we started, or already known
    // A rewritten tail: drop the pending entries this one replaces.
    let keep = this.pending.length;
    while (keep > 0 && present(this.pending[keep - 1], '0 < keep <= length').index >= e.index) keep--;
    this.pending.length = keep;
    const expected = this.lastSeen() + 1;
    if (e.index !== expected) throw this.gap(`entry ${e.index} follows entry ${expected - 1}`, at);
    this.pending.push(e);
  }

  private committed(commit: number): void {
    let k = 0;
    while (k < this.pending.length && present(this.pending[k], 'k < length').index <= commit) k++;
    if (k === 0) return;
    for (let i = 0; i < k; i++) this.ready.push(present(this.pending[i], 'i < k <= length'));
    this.pending = this.pending.slice(k);
  }

  /** The index of the newest entry known committed (returned, ready or where we started). */
  private lastSeenCommitted(): number {
    return this.ready.at(-1)?.index ?? this.last;
  }

  private lastSeen(): number {
    return this.pending.at(-1)?.index ?? this.lastSeenCommitted();
  }

  private isNewest(): boolean {
    const newest = listSegments(this.dataDir).at(-1);
    return newest === undefined || newest.seq === this.segment?.seq;
  }

  /** Opens the segment that holds the entry after lastSeen (the first call), or the one after the open one. */
  private async openNext(): Promise<boolean> {
    this.segments = listSegments(this.dataDir);
    let next: SegmentFile | undefined;
    if (this.segment === null) {
      const want = this.lastSeen() + 1;
      for (const s of this.segments) if (s.firstIndex <= want) next = s;
      if (next === undefined) {
        const oldest = this.segments[0];
        if (oldest === undefined) return false;
        throw this.gap(`the oldest segment starts at index ${oldest.firstIndex}, after index ${want}`);
      }
    } else {
      const seq = this.segment.seq;
      next = this.segments.find((s) => s.seq === seq + 1);
      if (next === undefined) return false;
    }
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(next.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw this.gap(`segment ${next.name} was removed while reading`);
      throw new StorageError('IO', 'cannot open a segment', { file: next.path, cause: err });
    }
    if (this.closed) {
      // Closed while opening: nobody reads on.
      await fh.close();
      return false;
    }
    this.fh = fh;
    this.segment = next;
    this.fileOffset = 0;
    this.held = Buffer.alloc(0);
    this.seed = null;
    return true;
  }

  /** The open segment's written part is read: go on with the next segment, if there is one yet. */
  private async moveOn(): Promise<boolean> {
    const segs = listSegments(this.dataDir);
    const seq = this.segment?.seq ?? -1;
    if (!segs.some((s) => s.seq === seq + 1)) {
      // The newest segment: its end is where the member writes next. Read it again from here later.
      this.fileOffset -= this.held.length;
      this.held = Buffer.alloc(0);
      return false;
    }
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
    return this.openNext();
  }

  private corrupt(what: string, offset: number): StorageError {
    return new StorageError('CORRUPT', what, { file: this.segment?.path, offset, dataDir: this.dataDir });
  }

  private gap(what: string, offset?: number): StorageError {
    return new StorageError('GAP', what, { file: this.segment?.path, offset, dataDir: this.dataDir });
  }
}
