// Reads the framed records of one segment held in memory, checking every CRC
// of the chain, and decides what a bad record means.
//
// A torn write is the last batch partly on disk: a prefix of it, or (since the
// kernel writes pages back in any order) some of its sectors still holding
// the zeros the file was preallocated with. A bad record in the last segment
// is taken as torn when nothing provably written after it exists (no pair of
// records chaining to each other follows it), or when a disk sector between
// it and the next provable record is all zero from the bad record on. Anything
// else, and any bad record in an earlier segment, is corruption.

import type { Entry, HardState } from '../wire/index.js';
import { crc32, crc32Range, FRAME_BYTES } from './framing.js';
import { decodeEntry } from '../wire/index.js';
import {
  FORMAT_VERSION,
  hardStateType,
  headerType,
  markerType,
  Tag,
  type SegmentHeader,
  type SnapshotMarker,
} from './schema.js';
import type avro from 'avsc';

export interface RecordVisitor {
  header(h: SegmentHeader, offset: number): void;
  entry(e: Entry, offset: number): void;
  hardState(h: HardState, offset: number): void;
  snapshotMarker(m: SnapshotMarker, offset: number): void;
}

export type ScanDamage =
  | { readonly kind: 'torn'; readonly offset: number; readonly bytesDropped: number; readonly reason: string }
  | { readonly kind: 'corrupt'; readonly offset: number; readonly reason: string };

export interface SegmentScan {
  readonly header: SegmentHeader | null;
  /** Offset just past the last good record: where the next record goes. */
  readonly end: number;
  /** CRC of the last good record (the header's prevCrc if there is none). */
  readonly lastCrc: number;
  readonly records: number;
  readonly damage: ScanDamage | null;
}

const SECTOR = 512;
const ZEROS = Buffer.alloc(64 * 1024);

/**
 * Scans buf (a whole segment file). isLast: the newest segment, the only one a
 * torn write can hit. zeroFrom: buf is known to be zero from there on (its
 * zero tail need not be read again).
 */
export function scanSegment(buf: Buffer, isLast: boolean, visit: RecordVisitor, zeroFrom = buf.length): SegmentScan {
  const n = buf.length;
  const fail = (offset: number, reason: string): SegmentScan => ({
    header: null,
    end: 0,
    lastCrc: 0,
    records: 0,
    damage: { kind: 'corrupt', offset, reason },
  });

  // The header is fsynced before the segment gets its name, so it can never be torn.
  const parsed = parseHeader(buf);
  if ('error' in parsed) return fail(0, parsed.error);
  const { header } = parsed;
  visit.header(header, 0);

  let seed = parsed.crc;
  let off = parsed.end;
  let records = 1;
  const result = (damage: ScanDamage | null): SegmentScan => ({ header, end: off, lastCrc: seed, records, damage });
  const bad = (reason: string): SegmentScan => result(classify(buf, off, isLast, reason, zeroFrom));

  for (;;) {
    if (off + FRAME_BYTES > n) {
      return isZero(buf, off, Math.min(n, zeroFrom)) ? result(null) : bad('the file ends inside a record frame');
    }
    const len = buf.readUInt32LE(off);
    if (len === 0) {
      // End of the log: the preallocated zero tail.
      return off >= zeroFrom || isZero(buf, off, zeroFrom) ? result(null) : bad('bytes follow the end of the log');
    }
    const body = off + FRAME_BYTES;
    const end = body + len;
    if (end > n) return bad(`record length ${len} runs past the end of the file`);
    const crc = buf.readUInt32LE(off + 4);
    if (crc32Range(buf, body, end, seed) !== crc) return bad('record fails its CRC');
    // From here the bytes are exactly what was written: a failure is no torn write.
    const tag = buf[body];
    let reason: string | null = null;
    switch (tag) {
      case Tag.Entry: {
        const e = decodeEntry(buf, body + 1, end);
        if (e !== null) visit.entry(e, off);
        else reason = 'an entry record passes its CRC but does not decode';
        break;
      }
      case Tag.HardState: {
        const h = decode<HardState>(hardStateType, buf, body + 1, end);
        if (h !== null) visit.hardState(h, off);
        else reason = 'a hard state record passes its CRC but does not decode';
        break;
      }
      case Tag.SnapshotMarker: {
        const m = decode<SnapshotMarker>(markerType, buf, body + 1, end);
        if (m !== null) visit.snapshotMarker(m, off);
        else reason = 'a snapshot marker record passes its CRC but does not decode';
        break;
      }
      case Tag.Header:
        reason = 'a second segment header inside the segment';
        break;
      default:
        reason = `a record of unknown kind (union branch byte ${tag})`;
    }
    if (reason !== null) return result({ kind: 'corrupt', offset: off, reason });
    seed = crc;
    off = end;
    records++;
  }
}

/** Decodes and checks the header record that starts every segment. */
export function parseHeader(buf: Buffer): { header: SegmentHeader; crc: number; end: number } | { error: string } {
  if (buf.length < FRAME_BYTES + 1) return { error: 'segment is too short to hold its header' };
  const len = buf.readUInt32LE(0);
  const end = FRAME_BYTES + len;
  if (len === 0 || end > buf.length) return { error: `segment header frame has an impossible length ${len}` };
  if (buf[FRAME_BYTES] !== Tag.Header) return { error: 'segment does not start with a header record' };
  const header = decode<SegmentHeader>(headerType, buf, FRAME_BYTES + 1, end);
  if (header === null) return { error: 'segment header does not decode' };
  const crc = buf.readUInt32LE(4);
  if (crc32(buf.subarray(FRAME_BYTES, end), header.prevCrc) !== crc) return { error: 'segment header fails its CRC' };
  if (header.formatVersion > FORMAT_VERSION) {
    return { error: `segment format version ${header.formatVersion} is newer than this kvd reads (${FORMAT_VERSION})` };
  }
  return { header, crc, end };
}

function decode<T>(type: avro.Type, buf: Buffer, start: number, end: number): T | null {
  try {
    const { value, offset } = type.decode(buf, start);
    return offset === end ? (value as T) : null;
  } catch {
    return null;
  }
}

function classify(buf: Buffer, off: number, isLast: boolean, reason: string, zeroFrom: number): ScanDamage {
  if (!isLast) return { kind: 'corrupt', offset: off, reason };
  const written = endOfNonZero(buf, off, zeroFrom);
  const next = findChainedPair(buf, off + 1, written);
  if (next < 0 || hasZeroSector(buf, off, next)) {
    return { kind: 'torn', offset: off, bytesDropped: written - off, reason };
  }
  return { kind: 'corrupt', offset: off, reason: `${reason}, and valid records follow at byte offset ${next}` };
}

/** True when buf[from, to) is all zero. */
export function isZero(buf: Buffer, from: number, to: number): boolean {
  for (let p = from; p < to; p += ZEROS.length) {
    const e = Math.min(to, p + ZEROS.length);
    if (buf.compare(ZEROS, 0, e - p, p, e) !== 0) return false;
  }
  return true;
}

/** The offset just past the last non-zero byte at or after from (from if there is none). */
function endOfNonZero(buf: Buffer, from: number, zeroFrom: number): number {
  let e = Math.min(buf.length, zeroFrom);
  while (e > from) {
    const s = Math.max(from, e - ZEROS.length);
    if (buf.compare(ZEROS, 0, e - s, s, e) !== 0) {
      while (buf[e - 1] === 0) e--;
      return e;
    }
    e = s;
  }
  return from;
}

/**
 * True when some disk sector overlapping [from, to) is all zero from `from`
 * on: a sector of the batch that never reached the disk (its part before
 * `from` may hold earlier, acknowledged records).
 */
function hasZeroSector(buf: Buffer, from: number, to: number): boolean {
  for (let s = Math.floor(from / SECTOR) * SECTOR; s + SECTOR <= to; s += SECTOR) {
    const start = Math.max(s, from);
    if (buf.compare(ZEROS, 0, s + SECTOR - start, start, s + SECTOR) === 0) return true;
  }
  return false;
}

const isBodyTag = (t: number | undefined): boolean =>
  t === Tag.Entry || t === Tag.HardState || t === Tag.SnapshotMarker;

/**
 * The offset of the first record in [from, limit) that the next record's CRC
 * chains to: proof that it was written as part of the log. -1 if none.
 */
function findChainedPair(buf: Buffer, from: number, limit: number): number {
  const n = buf.length;
  for (let p = from; p + 2 * FRAME_BYTES < limit; p++) {
    const len1 = buf.readUInt32LE(p);
    if (len1 === 0 || !isBodyTag(buf[p + FRAME_BYTES])) continue;
    const q = p + FRAME_BYTES + len1;
    if (q + FRAME_BYTES >= n) continue;
    const len2 = buf.readUInt32LE(q);
    if (len2 === 0 || q + FRAME_BYTES + len2 > n || !isBodyTag(buf[q + FRAME_BYTES])) continue;
    const body = buf.subarray(q + FRAME_BYTES, q + FRAME_BYTES + len2);
    if (crc32(body, buf.readUInt32LE(p + 4)) === buf.readUInt32LE(q + 4)) return p;
  }
  return -1;
}
