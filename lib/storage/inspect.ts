// Read-only views of a data directory for operators (segdump): every segment
// scanned on its own so one damaged file does not hide the others, and a full
// verification that runs the same checks a restarting member runs.

import type { Entry, HardState } from '../wire/index.js';
import { StorageError } from './errors.js';
import { listSegments, listSnapshotFiles, readSegmentFile, type SegmentBytes, type SegmentFile } from './files.js';
import { checkSequence, replay, startSegment, type TornTail } from './replay.js';
import { scanSegment, type RecordVisitor, type ScanDamage } from './scan.js';
import type { RecordKind, SegmentHeader, SnapshotMarker } from './schema.js';
import { inspectSnapshotFile, type SnapshotFileInfo } from './snapshots.js';

export interface SegmentSummary {
  readonly file: SegmentFile;
  /** File size, preallocated tail included. */
  readonly size: number;
  /** Bytes up to the end of the last good record. */
  readonly used: number;
  readonly header: SegmentHeader | null;
  readonly counts: Readonly<Record<RecordKind, number>>;
  /** The log's last index at the end of this segment (firstIndex - 1 if it holds no entry). */
  readonly lastIndex: number;
  readonly damage: ScanDamage | null;
}

/** Record callbacks for scanWal; each also gets the segment the record is in. */
export interface WalRecordVisitor {
  segment?(file: SegmentFile): void;
  /** After a segment's records, with what was found in it. */
  segmentEnd?(summary: SegmentSummary): void;
  header?(h: SegmentHeader, offset: number, file: SegmentFile): void;
  entry?(e: Entry, offset: number, file: SegmentFile): void;
  hardState?(h: HardState, offset: number, file: SegmentFile): void;
  snapshotMarker?(m: SnapshotMarker, offset: number, file: SegmentFile): void;
}

/** Scans every segment independently, in sequence order, reporting records and damage. */
export function scanWal(dataDir: string, visitor: WalRecordVisitor = {}): SegmentSummary[] {
  const segments = listSegments(dataDir);
  return segments.map((file, i) => {
    visitor.segment?.(file);
    const summary = scanOne(file, i === segments.length - 1, visitor);
    visitor.segmentEnd?.(summary);
    return summary;
  });
}

function scanOne(file: SegmentFile, isLast: boolean, visitor: WalRecordVisitor): SegmentSummary {
  const counts: Record<RecordKind, number> = { header: 0, entry: 0, hardState: 0, snapshotMarker: 0 };
  let last = file.firstIndex - 1;
  const v: RecordVisitor = {
    header: (h, off) => {
      counts.header++;
      visitor.header?.(h, off, file);
    },
    entry: (e, off) => {
      counts.entry++;
      last = e.index;
      visitor.entry?.(e, off, file);
    },
    hardState: (h, off) => {
      counts.hardState++;
      visitor.hardState?.(h, off, file);
    },
    snapshotMarker: (m, off) => {
      counts.snapshotMarker++;
      if (m.resetsLog) last = m.index;
      visitor.snapshotMarker?.(m, off, file);
    },
  };
  let bytes: SegmentBytes;
  try {
    bytes = readSegmentFile(file.path);
  } catch (err) {
    const damage: ScanDamage = { kind: 'corrupt', offset: 0, reason: `cannot read: ${(err as Error).message}` };
    return { file, size: 0, used: 0, header: null, counts, lastIndex: last, damage };
  }
  const scan = scanSegment(bytes.buf, isLast, v, bytes.zeroFrom);
  return {
    file,
    size: bytes.buf.length,
    used: scan.end,
    header: scan.header,
    counts,
    lastIndex: last,
    damage: scan.damage,
  };
}

export interface VerifyProblem {
  readonly code: StorageError['code'];
  /** What is wrong (file and offset are separate). */
  readonly message: string;
  readonly file?: string;
  readonly offset?: number;
}

export interface VerifyReport {
  readonly segments: number;
  readonly counts: Readonly<Record<RecordKind, number>>;
  /** Log index range held by the WAL: (firstIndex - 1 of the oldest segment, lastIndex]. */
  readonly firstIndex: number | null;
  readonly lastIndex: number | null;
  readonly hardState: HardState | null;
  readonly memberId: string | null;
  readonly clusterId: string | null;
  /** A torn write a restart would truncate (not a failure). */
  readonly torn: TornTail | null;
  readonly snapshots: readonly SnapshotFileInfo[];
  /** The first thing that would stop the member from starting, or a damaged snapshot file. */
  readonly problem: VerifyProblem | null;
}

/**
 * Checks every CRC and the chain through all segments, the sequence, the
 * header identities, index order, every snapshot file, and that the WAL
 * reaches back to the newest valid snapshot. Never writes.
 */
export function verifyDataDir(dataDir: string): VerifyReport {
  const segments = listSegments(dataDir);
  const snapshots = listSnapshotFiles(dataDir).map((f) => inspectSnapshotFile(f.path));
  const empty = { header: 0, entry: 0, hardState: 0, snapshotMarker: 0 };
  const base = {
    segments: segments.length,
    counts: empty,
    firstIndex: null,
    lastIndex: null,
    hardState: null,
    memberId: null,
    clusterId: null,
    torn: null,
    snapshots,
  };
  const [first] = segments;
  if (first === undefined) {
    return { ...base, problem: { code: 'MISSING', message: `no WAL segments under ${dataDir}/member/wal` } };
  }
  try {
    checkSequence(segments, dataDir);
    const all = replay(segments, { dataDir, start: 0, keepAfter: null });
    const report: VerifyReport = {
      ...base,
      counts: all.counts,
      firstIndex: first.firstIndex,
      lastIndex: all.tracker.last,
      hardState: all.hardState,
      memberId: all.memberId,
      clusterId: all.clusterId,
      torn: all.torn,
      problem: null,
    };
    const badSnapshot = snapshots.find((s) => !s.valid);
    const newest = snapshots.find((s) => s.valid);
    if (newest) {
      // What a restart from the newest snapshot does; throws the same GAP it would.
      replay(segments, {
        dataDir,
        start: startSegment(segments, newest.index),
        keepAfter: newest.index,
        collect: false,
      });
    }
    if (badSnapshot) {
      return {
        ...report,
        problem: { code: 'CORRUPT', message: badSnapshot.problem ?? 'damaged', file: badSnapshot.path },
      };
    }
    return report;
  } catch (err) {
    if (!(err instanceof StorageError)) throw err;
    return { ...base, problem: { code: err.code, message: err.reason, file: err.file, offset: err.offset } };
  }
}
