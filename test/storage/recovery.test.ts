import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test, type TestContext } from 'node:test';
import { asIndex } from '../../lib/raft/types.js';
import { RecordEncoder } from '../../lib/storage/framing.js';
import { listSegments } from '../../lib/storage/files.js';
import { StorageError, Wal, verifyDataDir } from '../../lib/storage/index.js';
import { FORMAT_VERSION } from '../../lib/storage/schema.js';
import {
  CLUSTER,
  MEMBER,
  capturingLogger,
  copyDir,
  dataDir,
  entries,
  entry,
  flipByte,
  hardState,
  lastSegment,
  plain,
  recordOffsets,
  segmentPath,
  segmentPaths,
  usedBytes,
  walOptions,
  zeroRange,
} from './helpers.js';
import { first, last, nth } from '../support/pick.js';

// A WAL whose last batch (entries 21..30 and a hard state) is the one a crash can tear.
function walWithFinalBatch(t: TestContext, opts = walOptions()) {
  const dir = dataDir(t);
  const wal = Wal.create(dir, opts);
  for (let i = 1; i <= 20; i += 5) wal.append(entries(i, i + 4, 1, 120), hardState(1, i));
  const begin = usedBytes(dir);
  wal.append(entries(21, 30, 2, 120), hardState(2, 25));
  wal.close();
  return { dir, begin, end: usedBytes(dir), acked: entries(1, 20, 1, 120), batch: entries(21, 30, 2, 120) };
}

function assertPrefixOfBatch(
  recovered: ReturnType<typeof plain>,
  acked: ReturnType<typeof plain>,
  batch: ReturnType<typeof plain>,
): void {
  assert.deepEqual(recovered.slice(0, acked.length), acked, 'everything acknowledged is recovered');
  const extra = recovered.slice(acked.length);
  assert.deepEqual(extra, batch.slice(0, extra.length), 'anything more is a prefix of the torn batch');
}

// Deterministic pseudo-random offsets so failures reproduce.
function offsets(begin: number, end: number, count: number, seed: number): number[] {
  const out = new Set<number>([begin + 1, begin + 4, begin + 8, end - 1]);
  let x = seed;
  while (out.size < count) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.add(begin + (x % (end - begin)));
  }
  return [...out].filter((o) => o > begin && o < end);
}

test('a torn final batch (file zeroed from any byte on) recovers a prefix holding every acknowledged entry', (t) => {
  const { dir, begin, end, acked, batch } = walWithFinalBatch(t);
  const boundaries = new Set(recordOffsets(dir, lastSegment(dir)).map((r) => r.offset));
  for (const at of offsets(begin, end, 40, 7)) {
    const copy = copyDir(dir, t);
    zeroRange(lastSegment(copy), at, end);
    const { wal, recovered } = Wal.open(copy, asIndex(0), walOptions());
    wal.close();
    assertPrefixOfBatch(plain(recovered.entries), plain(acked), plain(batch));
    if (boundaries.has(at)) {
      assert.equal(recovered.torn, null, `a cut at record boundary ${at} is a clean end`);
    } else {
      assert.equal(recovered.torn?.file, lastSegment(copy), `torn tail reported for a cut at ${at}`);
    }
  }
});

test('a torn final batch (file truncated at any byte) recovers a prefix holding every acknowledged entry', (t) => {
  const { dir, begin, end, acked, batch } = walWithFinalBatch(t);
  for (const at of offsets(begin, end, 40, 11)) {
    const copy = copyDir(dir, t);
    fs.truncateSync(lastSegment(copy), at);
    const { wal, recovered } = Wal.open(copy, asIndex(0), walOptions());
    wal.close();
    assertPrefixOfBatch(plain(recovered.entries), plain(acked), plain(batch));
  }
});

test('a torn batch with sectors missing in the middle (later sectors written) still recovers', (t) => {
  const { dir, begin, end, acked, batch } = walWithFinalBatch(t);
  for (let s = Math.floor(begin / 512) * 512; s < end; s += 512) {
    const copy = copyDir(dir, t);
    zeroRange(lastSegment(copy), Math.max(s, begin), Math.min(s + 512, end));
    const { wal, recovered } = Wal.open(copy, asIndex(0), walOptions());
    wal.close();
    assertPrefixOfBatch(plain(recovered.entries), plain(acked), plain(batch));
  }
});

test('the torn tail is logged with file, offset and bytes dropped, and zeroed so the log goes on', (t) => {
  const { dir, begin, end, acked } = walWithFinalBatch(t);
  // The batch's first sector never reached the disk; the later ones did.
  zeroRange(lastSegment(dir), begin, (Math.floor(begin / 512) + 1) * 512);
  const { logger, lines } = capturingLogger();
  const { wal, recovered } = Wal.open(dir, asIndex(0), walOptions({ logger }));
  assert.deepEqual(recovered.torn, { file: lastSegment(dir), offset: begin, bytesDropped: end - begin });
  const warning = lines.find((l) => l.level === 40);
  assert.ok(warning);
  assert.equal(warning.file, lastSegment(dir));
  assert.equal(warning.offset, begin);
  assert.equal(warning.bytesDropped, end - begin);
  assert.deepEqual(plain(recovered.entries), plain(acked));
  wal.append(entries(21, 22, 3, 120), hardState(3, 22));
  wal.close();
  const again = Wal.open(dir, asIndex(0), walOptions());
  again.wal.close();
  assert.equal(again.recovered.torn, null);
  assert.deepEqual(plain(again.recovered.entries), plain([...acked, ...entries(21, 22, 3, 120)]));
});

test('a torn batch that had grown the file past its preallocated size recovers', (t) => {
  const dir = dataDir(t);
  const opts = walOptions({ segmentSize: 4096 });
  const wal = Wal.create(dir, opts);
  wal.append(entries(1, 10, 1, 200), null);
  const begin = usedBytes(dir);
  wal.append(entries(11, 30, 1, 200), null);
  wal.close();
  const file = lastSegment(dir);
  assert.ok(fs.statSync(file).size > 4096);
  fs.truncateSync(file, 4096 + 100);
  const { wal: again, recovered } = Wal.open(dir, asIndex(0), opts);
  again.close();
  assert.ok(recovered.torn);
  assert.ok(recovered.torn.offset >= begin);
  assertPrefixOfBatch(plain(recovered.entries), plain(entries(1, 10, 1, 200)), plain(entries(11, 30, 1, 200)));
});

test('a bad record in the middle of the last segment is refused with file, offset and the segdump hint', (t) => {
  const { dir } = walWithFinalBatch(t);
  const file = lastSegment(dir);
  const victim = recordOffsets(dir, file).find((r) => r.kind === 'entry' && r.index === 7)!;
  flipByte(file, victim.offset + 30);
  const err = captureError(() => Wal.open(dir, asIndex(0), walOptions()));
  assert.equal(err.code, 'CORRUPT');
  assert.equal(err.file, file);
  assert.equal(err.offset, victim.offset);
  assert.match(err.message, new RegExp(`${escape(file)} at byte offset ${victim.offset}`));
  assert.match(err.message, new RegExp(`run: segdump verify ${escape(dir)}`));
  const report = verifyDataDir(dir);
  assert.equal(report.problem?.file, file);
  assert.equal(report.problem?.offset, victim.offset);
});

test('a bad record anywhere in an earlier segment is refused, even at its tail', (t) => {
  const dir = dataDir(t);
  const opts = walOptions({ segmentSize: 4096 });
  const wal = Wal.create(dir, opts);
  for (let i = 1; i <= 50; i++) wal.append([entry(i, 1, 200)], null);
  wal.close();
  const seg = segmentPath(dir, 0);
  const lastRecord = last(recordOffsets(dir, seg));
  flipByte(seg, lastRecord.offset + 12);
  const err = captureError(() => Wal.open(dir, asIndex(0), opts));
  assert.equal(err.code, 'CORRUPT');
  assert.equal(err.file, seg);
  assert.equal(err.offset, lastRecord.offset);
});

test('a damaged segment header is refused even in the last segment', (t) => {
  const dir = dataDir(t);
  Wal.create(dir, walOptions()).close();
  flipByte(lastSegment(dir), 20);
  const err = captureError(() => Wal.open(dir, asIndex(0), walOptions()));
  assert.equal(err.code, 'CORRUPT');
  assert.equal(err.offset, 0);
});

test('a missing segment in the sequence is refused as a gap', (t) => {
  const dir = dataDir(t);
  const opts = walOptions({ segmentSize: 4096 });
  const wal = Wal.create(dir, opts);
  for (let i = 1; i <= 80; i++) wal.append([entry(i, 1, 200)], null);
  wal.close();
  const segs = segmentPaths(dir);
  assert.ok(segs.length >= 3);
  fs.rmSync(nth(segs, 1));
  const err = captureError(() => Wal.open(dir, asIndex(0), opts));
  assert.equal(err.code, 'GAP');
  assert.equal(err.file, segs[2]);
  assert.match(err.message, /segdump verify/);
});

test('a segment of another member or cluster is refused', (t) => {
  const dir = dataDir(t);
  Wal.create(dir, walOptions()).close();
  const err = captureError(() => Wal.open(dir, asIndex(0), walOptions({ memberId: 'ffffffffffffffff' })));
  assert.equal(err.code, 'MISMATCH');
  assert.match(err.message, new RegExp(MEMBER));
  const err2 = captureError(() => Wal.open(dir, asIndex(0), walOptions({ clusterId: '0000000000000001' })));
  assert.equal(err2.code, 'MISMATCH');
  assert.match(err2.message, new RegExp(CLUSTER));
});

test('a segment replaced by one with another history breaks the CRC chain and is refused', (t) => {
  const opts = walOptions({ segmentSize: 4096 });
  const make = (size: number) => {
    const dir = dataDir(t);
    const wal = Wal.create(dir, opts);
    for (let i = 1; i <= 60; i++) wal.append([entry(i, 1, size)], null);
    wal.close();
    return dir;
  };
  const a = make(200);
  const b = make(200);
  const segsA = listSegments(a);
  const segsB = listSegments(b);
  assert.equal(nth(segsA, 1).name, nth(segsB, 1).name);
  // Same name and shape, another history: one entry differs and the file's own chain is resealed.
  flipAndReseal(first(segsB).path);
  fs.copyFileSync(first(segsB).path, first(segsA).path);
  const err = captureError(() => Wal.open(a, asIndex(0), opts));
  assert.equal(err.code, 'CORRUPT');
  assert.equal(err.file, nth(segsA, 1).path);
  assert.equal(err.offset, 0);
  assert.match(err.message, /chains from CRC/);
});

test('an entry index that skips ahead inside a segment is refused as a gap', (t) => {
  const dir = dataDir(t);
  const seg = writeRawSegment(dir, 0, 1, 0, (enc) => enc.entry(entry(1)).entry(entry(2)).entry(entry(4)));
  const err = captureError(() => Wal.open(dir, asIndex(0), walOptions()));
  assert.equal(err.code, 'GAP');
  assert.equal(err.file, seg);
  assert.equal(err.offset, recordOffsets(dir, seg).find((r) => r.index === 4)!.offset);
});

test('a segment whose first index does not follow the log before it is refused', (t) => {
  const dir = dataDir(t);
  let crc = 0;
  writeRawSegment(dir, 0, 1, 0, (enc) => {
    enc.entry(entry(1)).entry(entry(2));
    crc = enc.crc;
    return enc;
  });
  const second = writeRawSegment(dir, 1, 5, crc, (enc) => enc.entry(entry(5)));
  const err = captureError(() => Wal.open(dir, asIndex(0), walOptions()));
  assert.equal(err.code, 'GAP');
  assert.equal(err.file, second);
});

test('a file name that disagrees with its header is refused', (t) => {
  const dir = dataDir(t);
  const seg = writeRawSegment(dir, 0, 1, 0, (enc) => enc.entry(entry(1)));
  const renamed = seg.replace('0000000000000001.seg', '0000000000000009.seg');
  fs.renameSync(seg, renamed);
  const err = captureError(() => Wal.open(dir, asIndex(0), walOptions()));
  assert.equal(err.code, 'MISMATCH');
  assert.equal(err.file, renamed);
});

test('a WAL that no longer reaches back to the snapshot is refused as a gap', (t) => {
  const dir = dataDir(t);
  writeRawSegment(dir, 4, 11, 0, (enc) => enc.entry(entry(11)));
  const err = captureError(() => Wal.open(dir, asIndex(5), walOptions()));
  assert.equal(err.code, 'GAP');
  assert.match(err.message, /after the snapshot at index 5/);
});

test('a record that passes its CRC but does not decode is corruption, never a torn write', (t) => {
  const dir = dataDir(t);
  const seg = writeRawSegment(dir, 0, 1, 0, (enc) => enc.entry(entry(1)));
  // Append a frame with a correct chained CRC around bytes of an unknown union branch.
  const buf = fs.readFileSync(seg);
  const used = usedBytes(dir);
  const records = recordOffsets(dir, seg);
  const prevCrc = buf.readUInt32LE(last(records).offset + 4);
  const body = Buffer.from([0x10, 1, 2, 3]);
  const frame = Buffer.alloc(8);
  frame.writeUInt32LE(body.length, 0);
  frame.writeUInt32LE(crcOf(body, prevCrc), 4);
  const fd = fs.openSync(seg, 'r+');
  fs.writeSync(fd, Buffer.concat([frame, body]), 0, 12, used);
  fs.closeSync(fd);
  const err = captureError(() => Wal.open(dir, asIndex(0), walOptions()));
  assert.equal(err.code, 'CORRUPT');
  assert.equal(err.offset, used);
  assert.match(err.message, /unknown kind/);
});

// ---- helpers ----

import CRC32 from 'crc-32';
const crcOf = (b: Buffer, seed: number) => CRC32.buf(b, seed) >>> 0;

function captureError(fn: () => unknown): StorageError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StorageError, `expected a StorageError, got ${err}`);
    return err;
  }
  assert.fail('expected an error');
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Writes a segment file directly, for shapes the Wal itself never writes. */
function writeRawSegment(
  dir: string,
  seq: number,
  firstIndex: number,
  prevCrc: number,
  body: (enc: RecordEncoder) => RecordEncoder,
): string {
  fs.mkdirSync(`${dir}/member/wal`, { recursive: true });
  const enc = new RecordEncoder().begin(prevCrc);
  enc.header({ formatVersion: FORMAT_VERSION, memberId: MEMBER, clusterId: CLUSTER, seq, firstIndex, prevCrc });
  body(enc);
  const path = `${dir}/member/wal/${seq.toString(16).padStart(16, '0')}-${firstIndex.toString(16).padStart(16, '0')}.seg`;
  const file = Buffer.alloc(8192);
  enc.bytes.copy(file);
  fs.writeFileSync(path, file);
  return path;
}

/** Changes one entry's data in a segment and recomputes the chain so the file alone still verifies. */
function flipAndReseal(path: string): void {
  const buf = fs.readFileSync(path);
  let off = 0;
  let changed = false;
  let seed = 0; // the first segment's header chains from 0
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len === 0) break;
    const body = buf.subarray(off + 8, off + 8 + len);
    if (!changed && body[0] === 2) {
      body.writeUInt8(body.readUInt8(body.length - 1) ^ 0xff, body.length - 1);
      changed = true;
    }
    const crc = crcOf(body, seed);
    buf.writeUInt32LE(crc, off + 4);
    seed = crc;
    off += 8 + len;
  }
  fs.writeFileSync(path, buf);
}
