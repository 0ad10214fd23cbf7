// Where things live under a data directory, and the few file-system steps
// whose order makes them durable.

import fs from 'node:fs';
import { join } from 'node:path';
import type { FileIo } from './file-io.js';

export const memberDir = (dataDir: string): string => join(dataDir, 'member');
export const walDir = (dataDir: string): string => join(dataDir, 'member', 'wal');
export const snapDir = (dataDir: string): string => join(dataDir, 'member', 'snap');

export interface SegmentFile {
  readonly seq: number;
  readonly firstIndex: number;
  readonly name: string;
  readonly path: string;
}

export interface SnapshotFileName {
  readonly term: number;
  readonly index: number;
  readonly name: string;
  readonly path: string;
}

const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.seg$/;
const SNAPSHOT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export const hex16 = (n: number): string => n.toString(16).padStart(16, '0');

export const segmentName = (seq: number, firstIndex: number): string => `${hex16(seq)}-${hex16(firstIndex)}.seg`;

export const snapshotName = (term: number, index: number): string => `${hex16(term)}-${hex16(index)}.snap`;

/** A file name's hex field, or null when it is absent or not a safe integer. */
function parseHex(s: string | undefined): number | null {
  if (s === undefined) return null;
  const n = parseInt(s, 16);
  return Number.isSafeInteger(n) ? n : null;
}

export function parseSegmentName(dir: string, name: string): SegmentFile | null {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return null;
  const seq = parseHex(m[1]);
  const firstIndex = parseHex(m[2]);
  if (seq === null || firstIndex === null) return null;
  return { seq, firstIndex, name, path: join(dir, name) };
}

export function parseSnapshotName(dir: string, name: string): SnapshotFileName | null {
  const m = SNAPSHOT_NAME.exec(name);
  if (!m) return null;
  const term = parseHex(m[1]);
  const index = parseHex(m[2]);
  if (term === null || index === null) return null;
  return { term, index, name, path: join(dir, name) };
}

function readDirOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The segment files of a data directory, by sequence number. */
export function listSegments(dataDir: string): SegmentFile[] {
  const dir = walDir(dataDir);
  const out: SegmentFile[] = [];
  for (const name of readDirOrEmpty(dir)) {
    const f = parseSegmentName(dir, name);
    if (f) out.push(f);
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** The snapshot files of a data directory, newest (highest index, then term) first. */
export function listSnapshotFiles(dataDir: string): SnapshotFileName[] {
  const dir = snapDir(dataDir);
  const out: SnapshotFileName[] = [];
  for (const name of readDirOrEmpty(dir)) {
    const f = parseSnapshotName(dir, name);
    if (f) out.push(f);
  }
  return out.sort((a, b) => b.index - a.index || b.term - a.term);
}

/** Leftovers of a crash between creating a file and renaming it into place. */
export function listTempFiles(dir: string): string[] {
  return readDirOrEmpty(dir)
    .filter((n) => n.endsWith('.tmp'))
    .map((n) => join(dir, n));
}

export function fsyncDir(io: FileIo, dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    io.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsyncDir on the thread pool: the event loop goes on while the disk works. */
export async function fsyncDirAsync(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** mkdir -p, then fsyncs each directory whose entry changed so the new names survive a crash. */
export function makeDurableDir(io: FileIo, dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  let d = dir;
  for (;;) {
    fsyncDir(io, d);
    const parent = join(d, '..');
    if (d === first || parent === d) {
      fsyncDir(io, parent);
      return;
    }
    d = parent;
  }
}

/** Writes all of buf at position, however many calls the kernel needs. */
export function writeAll(io: FileIo, fd: number, buf: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = io.writeSync(fd, buf, done, length - done, position + done);
    if (n <= 0) throw new Error(`write returned ${n}`);
    done += n;
  }
}

const SCRATCH = Buffer.alloc(1024 * 1024);
const ZERO_CHUNK = Buffer.alloc(SCRATCH.length);

export interface SegmentBytes {
  /** The whole file, in a buffer of its own (decoded entries are views of it). */
  readonly buf: Buffer;
  /** Everything from here to the end of buf is zero, as on disk. */
  readonly zeroFrom: number;
}

/**
 * Reads a segment. Its preallocated zero tail (most of the newest segment) is
 * checked on disk through a small scratch buffer and left as untouched
 * zero-filled memory: no page of it is copied or faulted in, and the entries
 * that keep the buffer alive pin only the pages that hold records.
 */
export function readSegmentFile(path: string): SegmentBytes {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let zeroFrom = size;
    while (zeroFrom > 0) {
      const start = Math.max(0, zeroFrom - SCRATCH.length);
      const n = readFully(fd, SCRATCH, zeroFrom - start, start);
      if (SCRATCH.compare(ZERO_CHUNK, 0, n, 0, n) !== 0) {
        let e = n;
        while (SCRATCH[e - 1] === 0) e--;
        zeroFrom = start + e;
        break;
      }
      zeroFrom = start;
    }
    const buf = Buffer.alloc(size);
    readFully(fd, buf, zeroFrom, 0);
    return { buf, zeroFrom };
  } finally {
    fs.closeSync(fd);
  }
}

function readFully(fd: number, buf: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
