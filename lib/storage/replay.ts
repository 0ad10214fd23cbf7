// Rebuilds the Raft log from segments: the entries after a snapshot index,
// the newest hard state, and where the next record goes. Every rule here is
// one the writer follows, so a disagreement is corruption and is reported
// with the file and byte offset; nothing is ever skipped.

import { present } from '../assert.js';
import type { Entry, HardState } from '../wire/index.js';
import { StorageError } from './errors.js';
import { readSegmentFile, type SegmentBytes, type SegmentFile } from './files.js';
import { LogTracker } from './log-tracker.js';
import { scanSegment, type RecordVisitor } from './scan.js';
import type { RecordKind, SegmentHeader, SnapshotMarker } from './schema.js';

export interface TornTail {
  readonly file: string;
  readonly offset: number;
  readonly bytesDropped: number;
}

export interface ReplayResult {
  /** The entries after keepAfter (empty when keepAfter is null). */
  readonly entries: Entry[];
  readonly hardState: HardState | null;
  readonly tracker: LogTracker;
  /** Where the next record of the last segment goes, and the CRC it chains from. */
  readonly end: number;
  readonly lastCrc: number;
  readonly torn: TornTail | null;
  readonly counts: Record<RecordKind, number>;
  /** The identity found in the headers. */
  readonly memberId: string;
  readonly clusterId: string;
}

export interface ReplayOptions {
  readonly dataDir: string;
  /** Expected identity; a segment of another member or cluster is refused. Absent: the first header's. */
  readonly memberId?: string;
  readonly clusterId?: string;
  /** Index of the first segment to read. */
  readonly start: number;
  /**
   * Keep the entries after this index (a snapshot's), and refuse a log that
   * does not reach back to it. null: keep nothing (verification only).
   */
  readonly keepAfter: number | null;
  /** Whether to collect the entries after keepAfter (default true); verification only checks. */
  readonly collect?: boolean;
  /** Called after each segment is read, with how many of the segments to read are done. */
  readonly onSegmentRead?: (read: number, of: number) => void;
}

/** The first segment that can hold entries after fromIndex (0 if every segment starts later). */
export function startSegment(segments: readonly SegmentFile[], fromIndex: number): number {
  return Math.max(
    0,
    segments.findLastIndex((s) => s.firstIndex <= fromIndex + 1),
  );
}

/** Refuses a hole in the sequence numbers: a lost segment. */
export function checkSequence(segments: readonly SegmentFile[], dataDir: string): void {
  let prev: SegmentFile | undefined;
  for (const s of segments) {
    if (prev !== undefined && s.seq !== prev.seq + 1) {
      throw new StorageError('GAP', `segment sequence jumps from ${prev.name} to ${s.name}: a segment is missing`, {
        file: s.path,
        offset: 0,
        dataDir,
      });
    }
    prev = s;
  }
}

class Replayer implements RecordVisitor {
  tracker: LogTracker | null = null;
  latestHardState: HardState | null = null;
  kept: Entry[] = [];
  file!: SegmentFile;
  /** CRC the next segment's header must carry, null before the first segment. */
  prevCrc: number | null = null;
  memberId: string | undefined;
  clusterId: string | undefined;
  readonly counts: Record<RecordKind, number> = { header: 0, entry: 0, hardState: 0, snapshotMarker: 0 };
  private readonly keepAfter: number;

  constructor(private readonly opts: ReplayOptions) {
    this.memberId = opts.memberId;
    this.clusterId = opts.clusterId;
    this.keepAfter = opts.keepAfter === null || opts.collect === false ? Infinity : opts.keepAfter;
  }

  private error(code: StorageError['code'], what: string, offset: number): StorageError {
    return new StorageError(code, what, { file: this.file.path, offset, dataDir: this.opts.dataDir });
  }

  header(h: SegmentHeader, offset: number): void {
    this.counts.header++;
    const f = this.file;
    if (h.seq !== f.seq || h.firstIndex !== f.firstIndex) {
      throw this.error(
        'MISMATCH',
        `segment header says seq ${h.seq}, firstIndex ${h.firstIndex}, but the file name says seq ${f.seq}, firstIndex ${f.firstIndex}`,
        offset,
      );
    }
    this.memberId ??= h.memberId;
    this.clusterId ??= h.clusterId;
    if (h.memberId !== this.memberId || h.clusterId !== this.clusterId) {
      throw this.error(
        'MISMATCH',
        `segment belongs to member ${h.memberId} of cluster ${h.clusterId}, not member ${this.memberId} of cluster ${this.clusterId}`,
        offset,
      );
    }
    if (this.tracker === null) {
      this.tracker = new LogTracker(h.firstIndex - 1);
      return;
    }
    if (h.prevCrc !== this.prevCrc) {
      throw this.error(
        'CORRUPT',
        `segment header chains from CRC ${crcHex(h.prevCrc)} but the previous segment ends with CRC ${crcHex(this.prevCrc ?? 0)}`,
        offset,
      );
    }
    if (h.firstIndex !== this.tracker.last + 1) {
      throw this.error(
        'GAP',
        `segment starts at index ${h.firstIndex} but the log before it ends at index ${this.tracker.last}`,
        offset,
      );
    }
  }

  entry(e: Entry, offset: number): void {
    this.counts.entry++;
    const t = this.tracker!;
    if (!(e.index >= 1)) throw this.error('CORRUPT', `entry has impossible index ${e.index}`, offset);
    const gapAfter = t.gapBefore(e.index);
    if (gapAfter !== null)
      throw this.error('GAP', `entry ${e.index} follows index ${gapAfter}: entries are missing`, offset);
    t.append(e.index, e.term);
    const kept = this.kept;
    const oldest = kept[0];
    if (oldest !== undefined && e.index <= present(kept[kept.length - 1], 'kept is not empty').index)
      kept.length = Math.max(0, e.index - oldest.index);
    if (e.index > this.keepAfter) kept.push(e);
  }

  hardState(h: HardState): void {
    this.counts.hardState++;
    this.latestHardState = h;
  }

  snapshotMarker(m: SnapshotMarker, offset: number): void {
    this.counts.snapshotMarker++;
    const t = this.tracker!;
    if (m.resetsLog) {
      t.resetTo(m.index);
      this.kept.length = 0;
    } else if (m.index > t.last) {
      throw this.error(
        'CORRUPT',
        `snapshot marker at index ${m.index} says the log holds it, but the log ends at index ${t.last}`,
        offset,
      );
    }
  }
}

const crcHex = (c: number): string => c.toString(16).padStart(8, '0');

/**
 * Replays segments[opts.start..]. The last segment may end in a torn write,
 * which is reported, not repaired. Throws StorageError on anything else.
 */
export function replay(segments: readonly SegmentFile[], opts: ReplayOptions): ReplayResult {
  const r = new Replayer(opts);
  let end = 0;
  let lastCrc = 0;
  let torn: TornTail | null = null;
  for (let i = opts.start; i < segments.length; i++) {
    const file = present(segments[i], 'i < segments.length');
    r.file = file;
    let bytes: SegmentBytes;
    try {
      bytes = readSegmentFile(file.path);
    } catch (err) {
      throw new StorageError('IO', `cannot read segment: ${(err as Error).message}`, { file: file.path, cause: err });
    }
    const scan = scanSegment(bytes.buf, i === segments.length - 1, r, bytes.zeroFrom);
    if (scan.damage?.kind === 'corrupt') {
      throw new StorageError('CORRUPT', `corrupt WAL: ${scan.damage.reason}`, {
        file: file.path,
        offset: scan.damage.offset,
        dataDir: opts.dataDir,
      });
    }
    if (scan.damage?.kind === 'torn') {
      torn = { file: file.path, offset: scan.damage.offset, bytesDropped: scan.damage.bytesDropped };
    }
    r.prevCrc = scan.lastCrc;
    end = scan.end;
    lastCrc = scan.lastCrc;
    opts.onSegmentRead?.(i - opts.start + 1, segments.length - opts.start);
  }
  const tracker = r.tracker!;
  if (opts.keepAfter !== null && tracker.base > opts.keepAfter) {
    throw new StorageError(
      'GAP',
      `the log after the snapshot at index ${opts.keepAfter} is missing: the WAL holds entries only after index ${tracker.base}`,
      { file: segments[opts.start]?.path, dataDir: opts.dataDir },
    );
  }
  return {
    entries: r.kept,
    hardState: r.latestHardState,
    tracker,
    end,
    lastCrc,
    torn,
    counts: r.counts,
    memberId: r.memberId!,
    clusterId: r.clusterId!,
  };
}
