import fs from 'node:fs';
import { StorageError } from './errors.js';
import type { SegmentFile } from './files.js';
import { parseHeader } from './scan.js';
import type { SegmentHeader } from './schema.js';

const HEADER_READ_BYTES = 4096;

/** Reads and checks just the header record of a segment. */
export function readHeader(file: SegmentFile, dataDir: string): SegmentHeader {
  let buf: Buffer;
  try {
    const fd = fs.openSync(file.path, 'r');
    try {
      buf = Buffer.alloc(HEADER_READ_BYTES);
      buf = buf.subarray(0, fs.readSync(fd, buf, 0, HEADER_READ_BYTES, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw new StorageError('IO', `cannot read segment header: ${(err as Error).message}`, {
      file: file.path,
      cause: err,
    });
  }
  const parsed = parseHeader(buf);
  if ('error' in parsed) throw new StorageError('CORRUPT', parsed.error, { file: file.path, offset: 0, dataDir });
  return parsed.header;
}
