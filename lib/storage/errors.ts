/**
 * CORRUPT  a record or file fails its CRC or cannot be decoded where no torn write is possible
 * IO       the disk refused a write or an fsync (the Wal refuses every later append)
 * MISMATCH a segment belongs to another member or cluster, or a name disagrees with its header
 * GAP      a segment or a run of log entries is missing
 * MISSING  there is no write-ahead log where one was expected
 * LOCKED   another live process has the data directory open
 */
export type StorageErrorCode = 'CORRUPT' | 'IO' | 'MISMATCH' | 'GAP' | 'MISSING' | 'LOCKED';

export interface StorageErrorDetails {
  /** The file at fault. */
  readonly file?: string;
  /** Byte offset of the first bad record inside file. */
  readonly offset?: number;
  /** The data directory, for the `segdump verify` hint. */
  readonly dataDir?: string;
  readonly cause?: unknown;
}

export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;
  /** What is wrong, without the file, offset and hint that message adds. */
  readonly reason: string;
  readonly file?: string;
  readonly offset?: number;

  constructor(code: StorageErrorCode, what: string, details: StorageErrorDetails = {}) {
    super(describe(code, what, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.reason = what;
    this.file = details.file;
    this.offset = details.offset;
  }
}

function describe(code: StorageErrorCode, what: string, d: StorageErrorDetails): string {
  let msg = what;
  if (d.file !== undefined) msg += ` in ${d.file}`;
  if (d.offset !== undefined) msg += ` at byte offset ${d.offset}`;
  if (d.dataDir !== undefined && code !== 'IO') msg += `; run: segdump verify ${d.dataDir}`;
  return msg;
}

export function ioError(what: string, cause: unknown, file?: string): StorageError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StorageError('IO', `${what}: ${reason}`, { file, cause });
}
