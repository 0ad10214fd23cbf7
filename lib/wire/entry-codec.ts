// Replay decodes millions of Entry records; avsc's generic decoder copies each
// entry's data into a pooled buffer and allocates a cursor and a result per
// call, which together cost more than the CRC and the read. This decodes the
// same Avro bytes (ENTRY_SCHEMA in schema.ts: long term, long index, enum type, bytes
// data) by hand, with data as a view of the segment buffer. Tests hold it to
// avsc's decoding of the same bytes.

import { present } from '../assert.js';
import { ENTRY_TYPES } from './schema.js';
import type { Entry } from './types.js';

let cursor = 0;

/** An Avro zigzag varint long at cursor, below end (<= buf.length); NaN when it runs past end. Same algorithm as avsc's. */
function readLong(buf: Buffer, end: number): number {
  let pos = cursor;
  let n = 0;
  let k = 0;
  let b: number;
  do {
    if (pos >= end) return NaN;
    b = present(buf[pos++], 'pos < end <= buf.length');
    n |= (b & 0x7f) << k;
    k += 7;
  } while (b & 0x80 && k < 28);
  if (b & 0x80) {
    let f = n;
    let fk = 268435456;
    do {
      if (pos >= end || fk > 2 ** 63) return NaN;
      b = present(buf[pos++], 'pos < end <= buf.length');
      f += (b & 0x7f) * fk;
      fk *= 128;
    } while (b & 0x80);
    cursor = pos;
    return (f % 2 ? -(f + 1) : f) / 2;
  }
  cursor = pos;
  return (n >> 1) ^ -(n & 1);
}

/**
 * The Entry encoded in buf[start, end), or null when the bytes are not
 * exactly one. data is a view of buf: buf must not be reused while the entry lives.
 */
export function decodeEntry(buf: Buffer, start: number, end: number): Entry | null {
  if (end > buf.length) return null;
  cursor = start;
  const term = readLong(buf, end);
  const index = readLong(buf, end);
  const type = ENTRY_TYPES[readLong(buf, end)];
  const len = readLong(buf, end);
  if (type === undefined || !(len >= 0) || cursor + len !== end || Number.isNaN(term) || Number.isNaN(index))
    return null;
  return { term, index, type, data: buf.subarray(cursor, end) } as unknown as Entry;
}
