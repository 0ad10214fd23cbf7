// Record framing: [u32 length][u32 crc][avro bytes], little-endian. The CRC
// covers the avro bytes and is seeded with the previous record's CRC, so the
// CRC of a record vouches for every record before it as well.

import CRC32 from 'crc-32';
import type { Entry, HardState } from '../wire/index.js';
import {
  entryType,
  hardStateType,
  headerType,
  markerType,
  Tag,
  type SegmentHeader,
  type SnapshotMarker,
} from './schema.js';
import type avro from 'avsc';

export const FRAME_BYTES = 8;

export function crc32(bytes: Uint8Array, seed: number): number {
  return CRC32.buf(bytes, seed) >>> 0;
}

/**
 * The CRC of buf[start, end). A plain Uint8Array view is cheaper to make than
 * a Buffer (subarray), which shows when replaying a million records.
 */
export function crc32Range(buf: Buffer, start: number, end: number, seed: number): number {
  return CRC32.buf(new Uint8Array(buf.buffer, buf.byteOffset + start, end - start), seed) >>> 0;
}

/**
 * Encodes a batch of framed records into one reused buffer, chaining CRCs from
 * a seed. Not reentrant: one per writer.
 */
export class RecordEncoder {
  private buf: Buffer;
  private len = 0;
  private chain = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Starts a new batch whose first record chains from seed; expectedBytes avoids regrowing. */
  begin(seed: number, expectedBytes = 0): this {
    this.len = 0;
    this.chain = seed;
    if (expectedBytes > this.buf.length) this.buf = Buffer.allocUnsafe(expectedBytes);
    return this;
  }

  header(h: SegmentHeader): this {
    return this.put(Tag.Header, headerType, h);
  }

  entry(e: Entry): this {
    return this.put(Tag.Entry, entryType, e);
  }

  hardState(h: HardState): this {
    return this.put(Tag.HardState, hardStateType, h);
  }

  marker(m: SnapshotMarker): this {
    return this.put(Tag.SnapshotMarker, markerType, m);
  }

  /** The encoded batch (a view of the reused buffer, valid until the next begin). */
  get bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  get length(): number {
    return this.len;
  }

  /** The CRC of the last record encoded (the seed if none). */
  get crc(): number {
    return this.chain;
  }

  private put(tag: number, type: avro.Type, value: unknown): this {
    const start = this.len;
    const body = start + FRAME_BYTES;
    for (;;) {
      if (body + 1 > this.buf.length) this.grow(body + 1);
      this.buf[body] = tag;
      const end = type.encode(value, this.buf, body + 1);
      if (end < 0) {
        this.grow(this.buf.length - end);
        continue;
      }
      const crc = crc32(this.buf.subarray(body, end), this.chain);
      this.buf.writeUInt32LE(end - body, start);
      this.buf.writeUInt32LE(crc, start + 4);
      this.chain = crc;
      this.len = end;
      return this;
    }
  }

  private grow(atLeast: number): void {
    const next = Buffer.allocUnsafe(Math.max(atLeast, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}
