// Snapshot files: `<term>-<index>.snap` holding [u32 length][u32 crc][avro
// SnapshotFile], written to a temporary file, fsynced, renamed into place and
// the directory fsynced, so a snapshot file either exists whole or not at all.

import fs from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { asIndex, asTerm, type Index, type Snapshot, type Term } from '../wire/index.js';
import { ioError, StorageError } from './errors.js';
import { nodeFileIo } from './file-io.js';
import { fsyncDirAsync, listSnapshotFiles, makeDurableDir, parseSnapshotName, snapDir, snapshotName } from './files.js';
import { crc32, FRAME_BYTES } from './framing.js';
import { longType, SNAPSHOT_FORMAT_VERSION, snapshotHeadType, type SnapshotHead } from './schema.js';

export const DEFAULT_MAX_SNAPSHOTS = 5;
const MAX_RECORD_BYTES = 0xffffffff;

export interface SnapshotStoreOptions {
  /** How many snapshot files save keeps (default 5). */
  readonly maxSnapshots?: number;
  readonly logger?: Logger;
}

export interface SnapshotFileInfo {
  readonly path: string;
  readonly name: string;
  readonly index: Index;
  readonly term: Term;
  readonly size: number;
  /** Whether the file checks (CRC, decoding, name agreeing with its metadata). */
  readonly valid: boolean;
  /** Why it does not, when it does not. */
  readonly problem?: string;
  readonly dataBytes?: number;
}

let tmpCounter = 0;

/** Bytes of snapshot data checksummed per turn of the event loop (a fraction of a millisecond). */
const CRC_SLICE_BYTES = 256 * 1024;

/** The CRC of `bytes` chained from `seed`, a slice per turn of the event loop, so a large snapshot does not hold it. */
async function crc32InSlices(bytes: Uint8Array, seed: number): Promise<number> {
  let crc = seed;
  for (let at = 0; at < bytes.length; at += CRC_SLICE_BYTES) {
    if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    crc = crc32(bytes.subarray(at, at + CRC_SLICE_BYTES), crc);
  }
  return crc;
}

export class SnapshotStore {
  private readonly dir: string;
  private readonly maxSnapshots: number;
  private readonly logger: Logger | undefined;
  private readonly writing = new Set<string>();

  constructor(
    private readonly dataDir: string,
    opts: SnapshotStoreOptions = {},
  ) {
    this.dir = snapDir(dataDir);
    this.maxSnapshots = opts.maxSnapshots ?? DEFAULT_MAX_SNAPSHOTS;
    if (!Number.isSafeInteger(this.maxSnapshots) || this.maxSnapshots < 1) {
      throw new RangeError(`maxSnapshots must be an integer >= 1, got ${opts.maxSnapshots}`);
    }
    this.logger = opts.logger;
  }

  /**
   * Writes a snapshot durably and deletes the oldest files beyond
   * maxSnapshots. Returns the new file's path. The caller then records it
   * in the WAL (Wal.markSnapshot) and releases the segments it covers
   * (Wal.releaseTo(oldestIndex())).
   */
  async save(s: Snapshot): Promise<string> {
    const path = `${this.dir}/${snapshotName(s.meta.term, s.meta.index)}`;
    const tmp = `${path}.${process.pid}-${++tmpCounter}.tmp`;
    const head = snapshotHeadType.toBuffer({
      formatVersion: SNAPSHOT_FORMAT_VERSION,
      meta: s.meta,
    } satisfies SnapshotHead);
    const dataLen = longType.toBuffer(s.data.length);
    const recordBytes = head.length + dataLen.length + s.data.length;
    if (recordBytes > MAX_RECORD_BYTES)
      throw new RangeError(`snapshot of ${recordBytes} bytes exceeds the 4 GiB file format limit`);
    const frame = Buffer.alloc(FRAME_BYTES);
    frame.writeUInt32LE(recordBytes, 0);
    frame.writeUInt32LE(await crc32InSlices(s.data, crc32(dataLen, crc32(head, 0))), 4);

    this.writing.add(tmp);
    try {
      makeDurableDir(nodeFileIo, this.dir);
      const fh = await fs.promises.open(tmp, 'wx');
      try {
        await writeAllAsync(fh, [frame, head, dataLen, s.data]);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(tmp, path);
      await fsyncDirAsync(this.dir);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw ioError('cannot save snapshot', err, path);
    } finally {
      this.writing.delete(tmp);
    }
    await this.prune();
    return path;
  }

  /**
   * The newest snapshot that checks, or null. A damaged newer one is passed
   * over with a warning naming the file.
   */
  loadNewest(): Snapshot | null {
    for (const f of listSnapshotFiles(this.dataDir)) {
      try {
        return readSnapshotFile(f.path);
      } catch (err) {
        this.logger?.warn(
          { file: f.path, err: (err as Error).message },
          'snapshot file is damaged; falling back to an older one',
        );
      }
    }
    return null;
  }

  /** Every snapshot file, newest first, each read and checked. */
  list(): SnapshotFileInfo[] {
    return listSnapshotFiles(this.dataDir).map((f) => inspectSnapshotFile(f.path));
  }

  /** The index of the oldest snapshot file kept (what WAL retention may release to), or null. */
  oldestIndex(): Index | null {
    const oldest = listSnapshotFiles(this.dataDir).at(-1);
    return oldest === undefined ? null : asIndex(oldest.index);
  }

  private async prune(): Promise<void> {
    const files = listSnapshotFiles(this.dataDir);
    const doomed = files.slice(this.maxSnapshots).map((f) => f.path);
    for (const name of fs.readdirSync(this.dir)) {
      const p = `${this.dir}/${name}`;
      if (name.endsWith('.tmp') && !this.writing.has(p)) doomed.push(p);
    }
    if (doomed.length === 0) return;
    for (const p of doomed) fs.rmSync(p, { force: true });
    await fsyncDirAsync(this.dir);
    this.logger?.info({ removed: doomed }, 'removed old snapshot files');
  }
}

async function writeAllAsync(fh: fs.promises.FileHandle, parts: Buffer[]): Promise<void> {
  let pos = 0;
  for (const part of parts) {
    let done = 0;
    while (done < part.length) {
      const { bytesWritten } = await fh.write(part, done, part.length - done, pos + done);
      done += bytesWritten;
    }
    pos += part.length;
  }
}

/** Reads and checks a snapshot file; throws StorageError('CORRUPT' | 'MISMATCH' | 'IO'). */
export function readSnapshotFile(path: string): Snapshot {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch (err) {
    throw ioError('cannot read snapshot file', err, path);
  }
  return parseSnapshotFile(buf, path);
}

/**
 * readSnapshotFile for readers that must not stall the event loop: the file
 * is read on the thread pool and its CRC computed a slice per turn.
 */
export async function readSnapshotFileAsync(path: string): Promise<Snapshot> {
  let buf: Buffer;
  try {
    buf = await fs.promises.readFile(path);
  } catch (err) {
    throw ioError('cannot read snapshot file', err, path);
  }
  const crc = buf.length < FRAME_BYTES ? 0 : await crc32InSlices(buf.subarray(FRAME_BYTES), 0);
  return parseSnapshotFile(buf, path, crc);
}

/**
 * The metadata of a snapshot file and the first bytes of its data, reading
 * only the start of the file and checking no CRC (readSnapshotFile checks
 * the whole file when it is loaded): for catalogues of snapshots.
 */
export function peekSnapshotFile(path: string, prefixBytes: number): { meta: Snapshot['meta']; dataPrefix: Buffer } {
  const corrupt = (what: string) => new StorageError('CORRUPT', what, { file: path, offset: FRAME_BYTES });
  let buf: Buffer;
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    throw ioError('cannot read snapshot file', err, path);
  }
  try {
    buf = Buffer.alloc(FRAME_BYTES + prefixBytes);
    buf = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0));
  } catch (err) {
    throw ioError('cannot read snapshot file', err, path);
  } finally {
    fs.closeSync(fd);
  }
  try {
    const h = snapshotHeadType.decode(buf, FRAME_BYTES);
    if (h.offset < 0) throw new Error('truncated');
    const l = longType.decode(buf, h.offset);
    if (l.offset < 0) throw new Error('truncated');
    const head = h.value as SnapshotHead;
    return {
      meta: head.meta,
      dataPrefix: buf.subarray(l.offset),
    };
  } catch {
    throw corrupt('the start of the snapshot file does not decode');
  }
}

/** `crc`: the CRC of everything after the frame, when the caller computed it already. */
function parseSnapshotFile(buf: Buffer, path: string, crc?: number): Snapshot {
  const corrupt = (what: string, offset = 0) => new StorageError('CORRUPT', what, { file: path, offset });
  if (buf.length < FRAME_BYTES) throw corrupt(`snapshot file is ${buf.length} bytes, too short for its frame`);
  const len = buf.readUInt32LE(0);
  if (FRAME_BYTES + len !== buf.length) {
    throw corrupt(
      `snapshot file is ${buf.length} bytes but its frame says ${FRAME_BYTES + len} (truncated or damaged)`,
    );
  }
  if ((crc ?? crc32(buf.subarray(FRAME_BYTES), 0)) !== buf.readUInt32LE(4))
    throw corrupt('snapshot file fails its CRC');
  let head: SnapshotHead;
  let dataStart: number;
  let dataLength: number;
  try {
    const h = snapshotHeadType.decode(buf, FRAME_BYTES);
    const l = longType.decode(buf, h.offset);
    if (h.offset < 0 || l.offset < 0) throw new Error('truncated');
    head = h.value as SnapshotHead;
    dataLength = l.value as number;
    dataStart = l.offset;
  } catch {
    throw corrupt('snapshot file passes its CRC but does not decode', FRAME_BYTES);
  }
  if (dataStart + dataLength !== buf.length)
    throw corrupt('snapshot data length disagrees with the file size', FRAME_BYTES);
  if (head.formatVersion > SNAPSHOT_FORMAT_VERSION) {
    throw corrupt(
      `snapshot format version ${head.formatVersion} is newer than this kvd reads (${SNAPSHOT_FORMAT_VERSION})`,
    );
  }
  const named = parseSnapshotName(dirname(path), basename(path));
  if (named && (named.index !== head.meta.index || named.term !== head.meta.term)) {
    throw new StorageError(
      'MISMATCH',
      `snapshot file name says term ${named.term}, index ${named.index}, but it holds term ${head.meta.term}, index ${head.meta.index}`,
      { file: path },
    );
  }
  return {
    meta: head.meta,
    data: buf.subarray(dataStart),
  };
}

/** What segdump and list() show for one snapshot file; never throws for a bad file. */
export function inspectSnapshotFile(path: string): SnapshotFileInfo {
  const named = parseSnapshotName(dirname(path), basename(path));
  let size = 0;
  try {
    size = fs.statSync(path).size;
  } catch {
    // reported through readSnapshotFile below
  }
  const base = {
    path,
    name: basename(path),
    index: asIndex(named?.index ?? 0),
    term: asTerm(named?.term ?? 0),
    size,
  };
  try {
    const s = readSnapshotFile(path);
    return { ...base, index: s.meta.index, term: s.meta.term, valid: true, dataBytes: s.data.length };
  } catch (err) {
    return { ...base, valid: false, problem: err instanceof StorageError ? err.reason : (err as Error).message };
  }
}
