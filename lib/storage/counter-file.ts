// One non-negative integer that survives crashes: written to a temporary file,
// fsynced, renamed over the old one and the directory fsynced, so a reader
// finds the old value or the new one, never a mix.

import fs from 'node:fs';
import { dirname } from 'node:path';
import { MAX_WIRE_INTEGER } from '../wire/index.js';
import { ioError, StorageError } from './errors.js';
import { nodeFileIo, type FileIo } from './file-io.js';
import { fsyncDir, makeDurableDir } from './files.js';

export class CounterFile {
  constructor(
    readonly file: string,
    private readonly io: FileIo = nodeFileIo,
  ) {}

  /** The stored value, or `absent` when the file does not exist. Throws StorageError('CORRUPT') on anything else. */
  load(absent: number): number {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return absent;
      throw ioError('cannot read', err, this.file);
    }
    const m = /^(\d{1,16})\n$/.exec(text);
    const n = m ? Number(m[1]) : NaN;
    if (!(n <= MAX_WIRE_INTEGER))
      throw new StorageError('CORRUPT', `not a counter (${JSON.stringify(text.slice(0, 40))})`, { file: this.file });
    return n;
  }

  /** Replaces the stored value durably; returns once it is on disk. */
  save(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > MAX_WIRE_INTEGER)
      throw new RangeError(`counter value ${n} out of range`);
    const dir = dirname(this.file);
    const tmp = `${this.file}.tmp`;
    try {
      makeDurableDir(this.io, dir);
      const fd = fs.openSync(tmp, 'w');
      try {
        const bytes = Buffer.from(`${n}\n`);
        if (this.io.writeSync(fd, bytes, 0, bytes.length, 0) !== bytes.length) throw new Error('short write');
        this.io.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
      fsyncDir(this.io, dir);
    } catch (err) {
      throw ioError('cannot write', err, this.file);
    }
  }
}
