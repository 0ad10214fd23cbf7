// Durable storage of one member: the write-ahead log of Raft entries and hard
// states in CRC-chained Avro segment files, snapshot files, recovery and
// retention. Entry and snapshot data are opaque bytes here.
//
// Restart:  snapshots.loadNewest() → Wal.open(dataDir, snapshot?.meta.index ?? 0, opts)
//           (Wal.identity(dataDir) gives the member and cluster ids to pass).
// Snapshot: await snapshots.save(s) → wal.markSnapshot(s.meta)
//           → wal.releaseTo(snapshots.oldestIndex()). Save first: a marker
//           must never name a snapshot that is not on disk.

export { StorageError, type StorageErrorCode } from './errors.js';
export { DataDirLock } from './lock.js';
export { CounterFile } from './counter-file.js';
export {
  Wal,
  DEFAULT_MAX_WALS,
  DEFAULT_SEGMENT_SIZE,
  type RecoveredLog,
  type TornTail,
  type WalOptions,
  type WalStats,
} from './wal.js';
export {
  SnapshotStore,
  DEFAULT_MAX_SNAPSHOTS,
  readSnapshotFile,
  readSnapshotFileAsync,
  peekSnapshotFile,
  inspectSnapshotFile,
  type SnapshotFileInfo,
  type SnapshotStoreOptions,
} from './snapshots.js';
export {
  scanWal,
  verifyDataDir,
  type SegmentSummary,
  type VerifyProblem,
  type VerifyReport,
  type WalRecordVisitor,
} from './inspect.js';
export { CommittedLogReader, DEFAULT_CHUNK_BYTES, type CommittedLogReaderOptions } from './log-reader.js';
export type { FileIo } from './file-io.js';
export type { SegmentFile } from './files.js';
export { listSegments, listSnapshotFiles, snapDir, walDir } from './files.js';
export type { ScanDamage } from './scan.js';
export { RECORD_KINDS, type RecordKind, type SegmentHeader, type SnapshotMarker } from './schema.js';
