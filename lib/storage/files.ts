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

function parseHex(s: string): number | null {
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

/**
 * Reads whole files into one reused buffer: replay reads segment after
 * segment of up to 64 MiB, and a fresh buffer each time costs more (page
 * faults, GC) than the read itself. A returned view is valid until the next
 * read; nothing decoded from it may alias it (avsc copies bytes it decodes).
 */
export class FileReader {
  private buf = Buffer.alloc(0);

  read(path: string): Buffer {
    const fd = fs.openSync(path, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (this.buf.length < size) this.buf = Buffer.allocUnsafe(size);
      let done = 0;
      while (done < size) {
        const n = fs.readSync(fd, this.buf, done, size - done, done);
        if (n === 0) break;
        done += n;
      }
      return this.buf.subarray(0, done);
    } finally {
      fs.closeSync(fd);
    }
  }
}
