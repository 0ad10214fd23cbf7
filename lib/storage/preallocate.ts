// Segments are preallocated by writing zeros: an fdatasync after a write into
// allocated blocks need not commit block allocation or a new file size, which
// measured about 30 % cheaper here than appending to a growing or sparse
// (ftruncate'd) file. Zero-filling 64 MiB takes some 60 ms, so the next
// segment is prepared in the background (on the thread pool) while the
// current one fills, and a roll only has to write the header.

import fs from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { FileIo } from './file-io.js';
import { writeAll } from './files.js';

const CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

export function preallocateSync(io: FileIo, fd: number, size: number): void {
  for (let pos = 0; pos < size; pos += CHUNK) writeAll(io, fd, ZEROS, Math.min(CHUNK, size - pos), pos);
}

let spareCounter = 0;

/** One zero-filled, fsynced file of `size` bytes kept ready in the WAL directory. */
export class SpareSegment {
  private ready: string | null = null;
  private preparing = false;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly size: number,
    private readonly logger: Logger | undefined,
  ) {}

  /** Starts preparing a spare unless one is ready or on its way. */
  prepare(): void {
    if (this.ready !== null || this.preparing || this.closed) return;
    this.preparing = true;
    const path = join(this.dir, `spare-${process.pid}-${++spareCounter}.tmp`);
    writeZeros(path, this.size).then(
      () => {
        this.preparing = false;
        if (this.closed) fs.rm(path, { force: true }, () => {});
        else this.ready = path;
      },
      (err: Error) => {
        this.preparing = false;
        fs.rm(path, { force: true }, () => {});
        if (!this.closed) this.logger?.warn({ err: err.message, dir: this.dir }, 'could not preallocate the next WAL segment; the roll will do it');
      },
    );
  }

  /** The path of a ready spare, now the caller's; null if none is ready. */
  take(): string | null {
    const p = this.ready;
    this.ready = null;
    return p;
  }

  close(): void {
    this.closed = true;
    if (this.ready !== null) fs.rmSync(this.ready, { force: true });
    this.ready = null;
  }
}

async function writeZeros(path: string, size: number): Promise<void> {
  const fh = await fs.promises.open(path, 'wx');
  try {
    for (let pos = 0; pos < size; pos += CHUNK) {
      const len = Math.min(CHUNK, size - pos);
      let done = 0;
      while (done < len) done += (await fh.write(ZEROS, done, len - done, pos + done)).bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}
