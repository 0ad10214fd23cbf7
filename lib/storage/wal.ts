// The write-ahead log: Raft entries, hard states and snapshot markers appended
// to preallocated segment files, one write and one fdatasync per batch.

import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { assert, present } from '../assert.js';
import { asIndex, asTerm, type Entry, type HardState, type Index, type SnapshotMeta } from '../wire/index.js';
import { ioError, StorageError } from './errors.js';
import { nodeFileIo, type FileIo } from './file-io.js';
import {
  fsyncDir,
  listSegments,
  listSnapshotFiles,
  listTempFiles,
  makeDurableDir,
  segmentName,
  walDir,
  writeAll,
  type SegmentFile,
} from './files.js';
import { RecordEncoder } from './framing.js';
import { LogTracker } from './log-tracker.js';
import { preallocateSync, SpareSegment } from './preallocate.js';
import { checkSequence, replay, startSegment, type TornTail } from './replay.js';
import { FORMAT_VERSION, type SegmentHeader } from './schema.js';
import { readHeader } from './identity.js';

export const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;
export const DEFAULT_MAX_WALS = 5;
const MIN_SEGMENT_SIZE = 4096;

export interface WalOptions {
  readonly memberId: string;
  readonly clusterId: string;
  /** A segment rolls once it holds this many bytes (default 64 MiB). */
  readonly segmentSize?: number;
  /** releaseTo keeps at least this many segment files (default 5). */
  readonly maxWals?: number;
  readonly logger?: Logger;
  /** Called with the duration of every fdatasync, in milliseconds. */
  readonly onFsync?: (ms: number) => void;
  /** The write-path system calls; tests inject disk errors here. */
  readonly io?: FileIo;
  /** Called by open() after each segment it reads (progress of a long replay). */
  readonly onSegmentRead?: (read: number, of: number) => void;
}

export type { TornTail };

export interface RecoveredLog {
  readonly hardState: HardState | null;
  /**
   * The entries after fromIndex, contiguous from fromIndex + 1. Their data
   * are views of the segment buffers they were read from (no copy per entry),
   * which stay in memory while any of those entries does.
   */
  readonly entries: Entry[];
  /** The torn write dropped from the tail of the last segment, if there was one. */
  readonly torn: TornTail | null;
}

export interface WalStats {
  readonly fsyncs: number;
  readonly bytes: number;
  readonly lastFsyncMs: number;
}

interface OpenSegment {
  readonly file: SegmentFile;
  readonly fd: number;
  readonly end: number;
  readonly crc: number;
}

export class Wal {
  private readonly dir: string;
  private readonly io: FileIo;
  private readonly segmentSize: number;
  private readonly maxWals: number;
  private readonly logger: Logger | undefined;
  private readonly encoder = new RecordEncoder();
  private readonly spare: SpareSegment;
  private fd: number;
  private offset: number;
  private crc: number;
  private failed: StorageError | null = null;
  private closed = false;
  /** Bytes written to the current segment since its last fdatasync. */
  private unsynced = false;
  private fsyncs = 0;
  private bytes = 0;
  private lastFsyncMs = 0;

  private constructor(
    private readonly dataDir: string,
    private readonly opts: WalOptions,
    private readonly segments: SegmentFile[],
    current: { fd: number; end: number; crc: number },
    private readonly tracker: LogTracker,
    private hardState: HardState | null,
  ) {
    this.dir = walDir(dataDir);
    this.io = opts.io ?? nodeFileIo;
    this.segmentSize = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    this.maxWals = opts.maxWals ?? DEFAULT_MAX_WALS;
    this.logger = opts.logger;
    this.fd = current.fd;
    this.offset = current.end;
    this.crc = current.crc;
    this.spare = new SpareSegment(this.dir, this.segmentSize, this.logger);
    this.prepareSpareWhenHalfFull();
  }

  /** True when dataDir holds a WAL (at least one segment file). */
  static exists(dataDir: string): boolean {
    return listSegments(dataDir).length > 0;
  }

  /** The member and cluster a WAL belongs to, read from its newest segment's header. */
  static identity(dataDir: string): { memberId: string; clusterId: string } {
    const newest = listSegments(dataDir).at(-1);
    if (newest === undefined) throw new StorageError('MISSING', `no WAL segments in ${walDir(dataDir)}`);
    const h = readHeader(newest, dataDir);
    return { memberId: h.memberId, clusterId: h.clusterId };
  }

  /** Starts the WAL of a new member: an empty log, the first segment fsynced with its directory. */
  static create(dataDir: string, opts: WalOptions): Wal {
    checkOptions(opts);
    const [existing] = listSegments(dataDir);
    if (existing !== undefined) {
      throw new StorageError('MISMATCH', `${walDir(dataDir)} already holds a WAL; open it instead of creating one`, {
        file: existing.path,
      });
    }
    const io = opts.io ?? nodeFileIo;
    const dir = walDir(dataDir);
    try {
      makeDurableDir(io, dir);
      for (const tmp of listTempFiles(dir)) fs.rmSync(tmp, { force: true });
    } catch (err) {
      throw ioError(`cannot create the WAL directory ${dir}`, err);
    }
    const first = writeSegment(
      io,
      new RecordEncoder(),
      dir,
      opts,
      null,
      {
        formatVersion: FORMAT_VERSION,
        memberId: opts.memberId,
        clusterId: opts.clusterId,
        seq: 0,
        firstIndex: 1,
        prevCrc: 0,
      },
      null,
    );
    return new Wal(dataDir, opts, [first.file], first, new LogTracker(0), null);
  }

  /**
   * Reopens the WAL of a restarting member and recovers the log after
   * fromIndex (the index of the snapshot the member restored, 0 if none).
   * A torn write at the tail of the last segment is zeroed and reported;
   * anything else wrong throws a StorageError naming the file and offset.
   */
  static open(dataDir: string, fromIndex: Index, opts: WalOptions): { wal: Wal; recovered: RecoveredLog } {
    checkOptions(opts);
    const io = opts.io ?? nodeFileIo;
    const dir = walDir(dataDir);
    const segments = listSegments(dataDir);
    const last = segments.at(-1);
    if (last === undefined) throw new StorageError('MISSING', `no WAL segments in ${dir}`);
    checkSequence(segments, dataDir);
    for (const tmp of listTempFiles(dir)) fs.rmSync(tmp, { force: true });

    const r = replay(segments, {
      dataDir,
      memberId: opts.memberId,
      clusterId: opts.clusterId,
      start: startSegment(segments, fromIndex),
      keepAfter: fromIndex,
      onSegmentRead: opts.onSegmentRead,
    });
    let fd: number;
    try {
      fd = fs.openSync(last.path, 'r+');
    } catch (err) {
      throw ioError('cannot open the last WAL segment', err, last.path);
    }
    if (r.torn) {
      try {
        zeroRange(io, fd, r.torn.offset, r.torn.bytesDropped);
        io.fdatasyncSync(fd);
      } catch (err) {
        fs.closeSync(fd);
        throw ioError('cannot truncate the torn write at the tail of the WAL', err, last.path);
      }
      opts.logger?.warn(
        { file: r.torn.file, offset: r.torn.offset, bytesDropped: r.torn.bytesDropped },
        'WAL ends in a torn write (a batch that was never acknowledged); truncated it',
      );
    }
    const wal = new Wal(dataDir, opts, segments, { fd, end: r.end, crc: r.lastCrc }, r.tracker, r.hardState);
    let entries = r.entries;
    try {
      if (wal.markUnmarkedSnapshot(fromIndex)) entries = [];
    } catch (err) {
      wal.close();
      throw err;
    }
    checkRecovered(entries, r.hardState, fromIndex);
    return { wal, recovered: { hardState: r.hardState, entries, torn: r.torn } };
  }

  /**
   * A crash between saving a snapshot and marking it leaves a WAL that does
   * not know the snapshot the member restarts from. Harmless when the log
   * holds its entry; when the snapshot lies beyond the end of the log, or its
   * term contradicts the stored entry (a leader's snapshot that replaced a
   * stale log), the marker is written now and the log restarts after it.
   * The term comes from the snapshot's file name. Returns whether it did.
   */
  private markUnmarkedSnapshot(fromIndex: Index): boolean {
    if (fromIndex <= 0) return false;
    const term = listSnapshotFiles(this.dataDir).find((f) => f.index === fromIndex)?.term;
    const beyond = this.tracker.last < fromIndex;
    if (!beyond && (term === undefined || !this.tracker.snapshotResetsLog(fromIndex, term))) return false;
    this.logger?.warn(
      { index: fromIndex, term, lastIndex: this.tracker.last },
      'the WAL lacks the marker of the snapshot it restarts from; writing it, the log restarts after the snapshot',
    );
    this.markSnapshot({ index: fromIndex, term: asTerm(term ?? 0), conf: { voters: [] } });
    return true;
  }

  /**
   * Appends a batch (entries replacing any stored ones from entries[0].index
   * on, then the hard state) with one write and one fdatasync. When it
   * returns, the batch is on disk. A failed write or fsync throws
   * StorageError('IO') and every later call throws too: nothing written after
   * it could be trusted to be acknowledged in order.
   *
   * sync=false is for a batch whose loss is harmless (a hard state that only
   * moved the commit index, which raft can learn again); the next synced
   * batch, a roll or close makes it durable too.
   */
  append(entries: readonly Entry[], hardState: HardState | null, sync = true): void {
    this.checkWritable();
    if (entries.length === 0 && hardState === null) return;
    this.checkContiguous(entries);
    this.checkPair(entries, hardState);
    this.rollIfFull();
    let expected = hardState ? 64 + hardState.vote.length : 0;
    for (const e of entries) expected += e.data.length + 40;
    const enc = this.encoder.begin(this.crc, expected);
    for (const e of entries) enc.entry(e);
    if (hardState) enc.hardState(hardState);
    this.writeBatch(sync);
    for (const e of entries) this.tracker.append(e.index, e.term);
    if (hardState) this.hardState = hardState;
  }

  /**
   * Records that a snapshot at meta.index exists (call after it is saved).
   * If the log does not hold that entry with that term, the log restarts
   * empty after it, as Raft's does when it restores such a snapshot.
   *
   * Only a marker that restarts the log is fsynced at once. One that does not
   * is a note whose loss is harmless (see markUnmarkedSnapshot), and its
   * fdatasync here would hold the event loop for a disk round at every
   * snapshot; the next synced batch, a roll or close makes it durable.
   */
  markSnapshot(meta: SnapshotMeta): void {
    this.checkWritable();
    const resetsLog = this.tracker.snapshotResetsLog(meta.index, meta.term);
    this.rollIfFull();
    this.encoder.begin(this.crc).marker({ index: meta.index, term: meta.term, resetsLog });
    this.writeBatch(resetsLog);
    if (resetsLog) this.tracker.resetTo(meta.index);
  }

  /**
   * Deletes the oldest segments whose entries all lie at or before index
   * (the oldest snapshot kept), keeping at least maxWals segment files and
   * always the current one. Returns the deleted paths.
   */
  releaseTo(index: Index): string[] {
    if (this.closed) throw new Error('Wal is closed');
    const removed: string[] = [];
    while (this.segments.length > Math.max(1, this.maxWals)) {
      const [f, next] = this.segments;
      if (f === undefined || next === undefined || next.firstIndex > index + 1) break;
      try {
        fs.rmSync(f.path, { force: true });
      } catch (err) {
        throw ioError('cannot delete an old WAL segment', err, f.path);
      }
      this.segments.shift();
      removed.push(f.path);
    }
    if (removed.length > 0) {
      try {
        fsyncDir(this.io, this.dir);
      } catch (err) {
        throw ioError('cannot fsync the WAL directory', err, this.dir);
      }
      this.logger?.info({ removed, upTo: index }, 'released WAL segments covered by snapshots');
    }
    return removed;
  }

  /**
   * Makes every batch written so far durable with an fdatasync on the thread
   * pool, so the event loop goes on (sending to peers, reading requests)
   * meanwhile. The caller must not write, roll or close the WAL until it
   * settles; nothing written is acknowledged before it resolves.
   */
  async flush(): Promise<void> {
    this.checkWritable();
    if (!this.unsynced) return;
    if (this.io.fdatasync === undefined) {
      this.sync();
      return;
    }
    const fd = this.fd;
    const file = this.currentFile().path;
    const t0 = performance.now();
    try {
      await this.io.fdatasync(fd);
    } catch (err) {
      throw this.fail(ioError('WAL fdatasync failed', err, file));
    }
    const ms = performance.now() - t0;
    this.unsynced = false;
    this.fsyncs++;
    this.lastFsyncMs = ms;
    this.opts.onFsync?.(ms);
  }

  /** The index of the last entry in the log (0 if none). */
  lastIndex(): Index {
    return asIndex(this.tracker.last);
  }

  /** Resolves once the background preallocation of the next segment (if any) has finished. */
  settled(): Promise<void> {
    return this.spare.settled();
  }

  stats(): WalStats {
    return { fsyncs: this.fsyncs, bytes: this.bytes, lastFsyncMs: this.lastFsyncMs };
  }

  /** Closes the segment (after an fdatasync of any unsynced batch, unless an earlier write failed). */
  close(): void {
    if (this.closed) return;
    try {
      if (this.unsynced && this.failed === null) this.sync();
    } finally {
      this.closed = true;
      this.spare.close();
      fs.closeSync(this.fd);
    }
  }

  private checkWritable(): void {
    if (this.closed) throw new Error('Wal is closed');
    if (this.failed) {
      throw new StorageError('IO', `the WAL refuses writes after an earlier failure (${this.failed.message})`, {
        file: this.failed.file,
      });
    }
  }

  private checkContiguous(entries: readonly Entry[]): void {
    const head = entries[0];
    if (head === undefined) return;
    const first = head.index;
    if (!(first >= 1)) throw new RangeError(`entry index must be >= 1, got ${first}`);
    const gapAfter = this.tracker.gapBefore(first);
    if (gapAfter !== null) {
      throw new StorageError('GAP', `cannot append entry ${first}: the log ends at index ${gapAfter}`);
    }
    for (let i = 1; i < entries.length; i++) {
      const index = present(entries[i], 'i < entries.length').index;
      if (index !== first + i) {
        throw new StorageError('GAP', `entries of one append must be consecutive: ${first + i - 1} then ${index}`);
      }
    }
  }

  /**
   * Before a write, what the batch says must fit what the log holds (a
   * violation is a bug in the caller, not a disk fault): terms never go back
   * along the log, nor the hard state's term and commit index, and no
   * committed entry is replaced.
   */
  private checkPair(entries: readonly Entry[], hardState: HardState | null): void {
    const head = entries[0];
    if (head !== undefined) {
      const committed = this.hardState?.commit ?? 0;
      assert(
        head.index > committed,
        `WAL append: entry ${head.index} would replace a committed entry (commit index ${committed})`,
      );
      const before = this.tracker.termAt(head.index - 1) ?? 0;
      let term = before;
      for (const e of entries) {
        assert(e.term >= term, `WAL append: entry ${e.index} of term ${e.term} follows one of term ${term}`);
        term = e.term;
      }
    }
    if (hardState === null) return;
    const prev = this.hardState;
    if (prev !== null) {
      assert(hardState.term >= prev.term, `WAL append: hard state term ${hardState.term} after ${prev.term}`);
      assert(hardState.commit >= prev.commit, `WAL append: commit index ${hardState.commit} after ${prev.commit}`);
    }
  }

  private writeBatch(sync: boolean): void {
    const enc = this.encoder;
    const file = this.currentFile().path;
    try {
      writeAll(this.io, this.fd, enc.bytes, enc.length, this.offset);
    } catch (err) {
      throw this.fail(ioError('WAL write failed', err, file));
    }
    this.unsynced = true;
    if (sync) this.sync();
    this.bytes += enc.length;
    this.offset += enc.length;
    this.crc = enc.crc;
    this.prepareSpareWhenHalfFull();
  }

  /** The next segment is zero-filled in the background while this one fills; not before, so short-lived WALs make none. */
  private prepareSpareWhenHalfFull(): void {
    if (this.offset >= this.segmentSize / 2) this.spare.prepare();
  }

  private sync(): void {
    const t0 = performance.now();
    try {
      this.io.fdatasyncSync(this.fd);
    } catch (err) {
      throw this.fail(ioError('WAL fdatasync failed', err, this.currentFile().path));
    }
    const ms = performance.now() - t0;
    this.unsynced = false;
    this.fsyncs++;
    this.lastFsyncMs = ms;
    this.opts.onFsync?.(ms);
  }

  private rollIfFull(): void {
    if (this.offset < this.segmentSize) return;
    // Only the last segment may end in a torn write: nothing unsynced may stay behind in this one.
    if (this.unsynced) this.sync();
    const cur = this.currentFile();
    let next: OpenSegment;
    try {
      next = writeSegment(
        this.io,
        this.encoder,
        this.dir,
        this.opts,
        this.spare.take(),
        {
          formatVersion: FORMAT_VERSION,
          memberId: this.opts.memberId,
          clusterId: this.opts.clusterId,
          seq: cur.seq + 1,
          firstIndex: this.tracker.last + 1,
          prevCrc: this.crc,
        },
        this.hardState,
      );
    } catch (err) {
      throw this.fail(err instanceof StorageError ? err : ioError('WAL roll failed', err, cur.path));
    }
    try {
      fs.closeSync(this.fd);
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message, file: cur.path }, 'closing a full WAL segment failed');
    }
    this.fd = next.fd;
    this.offset = next.end;
    this.crc = next.crc;
    this.segments.push(next.file);
  }

  private currentFile(): SegmentFile {
    return present(this.segments.at(-1), 'an open WAL always has a current segment');
  }

  private fail(err: StorageError): StorageError {
    this.failed = err;
    this.logger?.error({ err: err.message, file: err.file }, 'WAL write failed; refusing all further writes');
    return err;
  }
}

function checkOptions(opts: WalOptions): void {
  const size = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  if (!Number.isSafeInteger(size) || size < MIN_SEGMENT_SIZE) {
    throw new RangeError(`segmentSize must be an integer >= ${MIN_SEGMENT_SIZE}, got ${size}`);
  }
  const maxWals = opts.maxWals ?? DEFAULT_MAX_WALS;
  if (!Number.isSafeInteger(maxWals) || maxWals < 1)
    throw new RangeError(`maxWals must be an integer >= 1, got ${maxWals}`);
}

/**
 * Writes a new segment: into a preallocated spare if one is ready, otherwise
 * into a freshly preallocated temporary file; header (and the current hard
 * state, so that deleting older segments never loses it) fsynced, then
 * renamed into place and the directory fsynced. The segment is never visible
 * without its header.
 */
function writeSegment(
  io: FileIo,
  enc: RecordEncoder,
  dir: string,
  opts: WalOptions,
  spare: string | null,
  header: SegmentHeader,
  hardState: HardState | null,
): OpenSegment {
  const name = segmentName(header.seq, header.firstIndex);
  const path = `${dir}/${name}`;
  const tmp = spare ?? `${path}.tmp`;
  let fd = -1;
  try {
    fd = fs.openSync(tmp, spare ? 'r+' : 'w+');
    if (!spare) preallocateSync(io, fd, opts.segmentSize ?? DEFAULT_SEGMENT_SIZE);
    enc.begin(header.prevCrc).header(header);
    if (hardState) enc.hardState(hardState);
    writeAll(io, fd, enc.bytes, enc.length, 0);
    // fdatasync also persists the size of a file just preallocated: what reading it back needs.
    io.fdatasyncSync(fd);
    fs.renameSync(tmp, path);
    fsyncDir(io, dir);
  } catch (err) {
    if (fd >= 0) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw ioError('cannot create a WAL segment', err, path);
  }
  return { file: { seq: header.seq, firstIndex: header.firstIndex, name, path }, fd, end: enc.length, crc: enc.crc };
}

function zeroRange(io: FileIo, fd: number, offset: number, length: number): void {
  const zeros = Buffer.alloc(Math.min(length, 1024 * 1024));
  for (let done = 0; done < length; done += zeros.length) {
    writeAll(io, fd, zeros, Math.min(zeros.length, length - done), offset + done);
  }
}

/**
 * After a read, what recovery hands raft must be a log raft could have
 * written: consecutive entries after the snapshot, terms that never go back,
 * and a commit index no further than the log (or the snapshot) reaches.
 */
function checkRecovered(entries: readonly Entry[], hardState: HardState | null, fromIndex: Index): void {
  let prev: Entry | null = null;
  for (const e of entries) {
    if (prev !== null) {
      assert(e.index === prev.index + 1, `WAL read: entry ${e.index} follows ${prev.index}`);
      assert(e.term >= prev.term, `WAL read: entry ${e.index} of term ${e.term} follows one of term ${prev.term}`);
    } else
      assert(e.index === fromIndex + 1, `WAL read: the log after the snapshot at ${fromIndex} starts at ${e.index}`);
    prev = e;
  }
  if (hardState === null) return;
  const reach = Math.max(fromIndex, prev?.index ?? 0);
  assert(
    hardState.commit <= reach,
    `WAL read: commit index ${hardState.commit} is beyond the log, which ends at ${reach}`,
  );
}
