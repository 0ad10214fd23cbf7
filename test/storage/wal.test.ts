import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import CRC32 from 'crc-32';
import { asIndex, asTerm } from '../../lib/raft/types.js';
import { listSegments } from '../../lib/storage/files.js';
import { StorageError, Wal, scanWal } from '../../lib/storage/index.js';
import { walRecordType } from '../../lib/storage/schema.js';
import {
  CLUSTER,
  MEMBER,
  dataDir,
  entries,
  entry,
  hardState,
  plain,
  plainHardState,
  recordOffsets,
  segmentPath,
  segmentPaths,
  walOptions,
} from './helpers.js';
import { first, last, nth } from '../support/pick.js';

test('a new WAL holds one preallocated segment named seq 0, first index 1', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions({ segmentSize: 8192 }));
  wal.close();
  const segs = listSegments(dir);
  assert.deepEqual(
    segs.map((s) => s.name),
    ['0000000000000000-0000000000000001.seg'],
  );
  assert.equal(fs.statSync(first(segs).path).size, 8192);
});

test('exists is false for an empty directory and true once a WAL is created', (t) => {
  const dir = dataDir(t);
  assert.equal(Wal.exists(dir), false);
  Wal.create(dir, walOptions()).close();
  assert.equal(Wal.exists(dir), true);
});

test('identity reads member and cluster id from the newest segment header', (t) => {
  const dir = dataDir(t);
  Wal.create(dir, walOptions()).close();
  assert.deepEqual(Wal.identity(dir), { memberId: MEMBER, clusterId: CLUSTER });
});

test('create refuses a directory that already holds a WAL', (t) => {
  const dir = dataDir(t);
  Wal.create(dir, walOptions()).close();
  assert.throws(
    () => Wal.create(dir, walOptions()),
    (e: unknown) => e instanceof StorageError && e.code === 'MISMATCH',
  );
});

test('open of a directory without a WAL throws MISSING', (t) => {
  const dir = dataDir(t);
  assert.throws(
    () => Wal.open(dir, asIndex(0), walOptions()),
    (e: unknown) => e instanceof StorageError && e.code === 'MISSING',
  );
});

test('appended entries and the newest hard state come back after reopening', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 3, 1), hardState(1, 0));
  wal.append(entries(4, 5, 2), hardState(2, 4));
  wal.close();
  const { wal: again, recovered } = Wal.open(dir, asIndex(0), walOptions());
  again.close();
  assert.deepEqual(plain(recovered.entries), plain([...entries(1, 3, 1), ...entries(4, 5, 2)]));
  assert.deepEqual(plainHardState(recovered.hardState), plainHardState(hardState(2, 4)));
  assert.equal(recovered.torn, null);
});

test('entries of every type and empty data survive the round trip', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  const batch = [entry(1, 1, 0, 'empty'), entry(2, 1, 10, 'confChange'), entry(3, 1, 5000, 'normal')];
  wal.append(batch, null);
  wal.close();
  const { wal: again, recovered } = Wal.open(dir, asIndex(0), walOptions());
  again.close();
  assert.deepEqual(plain(recovered.entries), plain(batch));
});

test('open returns only the entries after fromIndex', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 10), null);
  wal.close();
  const { wal: again, recovered } = Wal.open(dir, asIndex(6), walOptions());
  again.close();
  assert.deepEqual(
    recovered.entries.map((e) => e.index),
    [7, 8, 9, 10],
  );
});

test('appending from an index at or before the last replaces the suffix', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 6, 1), null);
  wal.append(entries(4, 5, 2), null);
  assert.equal(wal.lastIndex(), 5);
  wal.close();
  const { wal: again, recovered } = Wal.open(dir, asIndex(0), walOptions());
  again.close();
  assert.deepEqual(plain(recovered.entries), plain([...entries(1, 3, 1), ...entries(4, 5, 2)]));
});

test('append refuses an entry that would leave a gap and writes nothing', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 2), null);
  assert.throws(
    () => wal.append([entry(4)], null),
    (e: unknown) => e instanceof StorageError && e.code === 'GAP',
  );
  assert.throws(
    () => wal.append([entry(3), entry(5)], null),
    (e: unknown) => e instanceof StorageError && e.code === 'GAP',
  );
  wal.append([entry(3)], null);
  wal.close();
  const { wal: again, recovered } = Wal.open(dir, asIndex(0), walOptions());
  again.close();
  assert.deepEqual(
    recovered.entries.map((e) => e.index),
    [1, 2, 3],
  );
});

test('one append is one fdatasync however many records it holds', (t) => {
  const dir = dataDir(t);
  const seen: number[] = [];
  const wal = Wal.create(dir, walOptions({ onFsync: (ms) => seen.push(ms) }));
  wal.append(entries(1, 50), hardState(1, 10));
  wal.append([], hardState(1, 50));
  wal.append([], null);
  const stats = wal.stats();
  wal.close();
  assert.equal(stats.fsyncs, 2);
  assert.equal(seen.length, 2);
  assert.ok(stats.bytes > 50 * 32);
  assert.equal(stats.lastFsyncMs, seen[1]);
});

test('each record is framed as length, CRC chained from the previous record, and a union-encoded Avro body', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 2), hardState(1, 1));
  wal.close();
  const buf = fs.readFileSync(segmentPath(dir, 0));
  const kinds: string[] = [];
  let off = 0;
  for (;;) {
    const len = buf.readUInt32LE(off);
    if (len === 0) break;
    const decoded = walRecordType.fromBuffer(buf.subarray(off + 8, off + 8 + len)) as Record<string, unknown>;
    kinds.push(first(Object.keys(decoded)));
    off += 8 + len;
  }
  assert.deepEqual(kinds, ['kvd.wal.SegmentHeader', 'kvd.wal.Entry', 'kvd.wal.Entry', 'kvd.wal.HardState']);
});

test('each CRC covers its record body seeded with the previous CRC; the header seeds from the previous segment', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions({ segmentSize: 4096 }));
  for (let i = 1; i <= 20; i++) wal.append([entry(i, 1, 300)], null);
  wal.close();
  let prevSegmentCrc = 0;
  for (const path of segmentPaths(dir)) {
    const buf = fs.readFileSync(path);
    let seed = prevSegmentCrc;
    let off = 0;
    while (off + 8 <= buf.length && buf.readUInt32LE(off) !== 0) {
      const len = buf.readUInt32LE(off);
      const crc = CRC32.buf(buf.subarray(off + 8, off + 8 + len), seed) >>> 0;
      assert.equal(buf.readUInt32LE(off + 4), crc, `CRC of the record at ${off} in ${path}`);
      seed = crc;
      off += 8 + len;
    }
    prevSegmentCrc = seed;
  }
  assert.ok(segmentPaths(dir).length > 1);
});

test('a segment rolls once full; the next one is named for the next index and repeats the hard state', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions({ segmentSize: 4096 }));
  for (let i = 1; i <= 60; i++) wal.append([entry(i, 1, 200)], hardState(1, i - 1));
  wal.close();
  const segs = listSegments(dir);
  assert.ok(segs.length >= 3, `expected several segments, got ${segs.length}`);
  const summaries = scanWal(dir);
  for (let i = 1; i < segs.length; i++) {
    assert.equal(nth(segs, i).seq, i);
    assert.equal(nth(segs, i).firstIndex, nth(summaries, i - 1).lastIndex + 1);
    const kinds = recordOffsets(dir, nth(segs, i).path).map((r) => r.kind);
    assert.deepEqual(kinds.slice(0, 2), ['header', 'hardState']);
  }
  const { wal: again, recovered } = Wal.open(dir, asIndex(0), walOptions({ segmentSize: 4096 }));
  again.close();
  assert.equal(recovered.entries.length, 60);
  assert.deepEqual(plainHardState(recovered.hardState), plainHardState(hardState(1, 59)));
});

test('segments are preallocated with zeros to the segment size and the log ends at the first zero length', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions({ segmentSize: 16384 }));
  wal.append(entries(1, 3), null);
  wal.close();
  const file = segmentPath(dir, 0);
  const buf = fs.readFileSync(file);
  assert.equal(buf.length, 16384);
  const used = first(scanWal(dir)).used;
  assert.ok(used < 1000);
  assert.ok(buf.subarray(used).every((b) => b === 0));
});

test('once a segment is half full the next one is zero-filled under a temporary name, then used by the roll', async (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions({ segmentSize: 4096 }));
  const spares = () => fs.readdirSync(`${dir}/member/wal`).filter((n) => n.startsWith('spare-'));
  assert.deepEqual(spares(), []);
  wal.append(entries(1, 10, 1, 200), null);
  const spare = `${dir}/member/wal/${spares()[0]}`;
  assert.ok(spare.endsWith('.tmp'));
  await wal.settled();
  assert.equal(fs.statSync(spare).size, 4096);
  assert.ok(fs.readFileSync(spare).every((b) => b === 0));
  assert.equal(listSegments(dir).length, 1);
  const inode = fs.statSync(spare).ino;
  wal.append(entries(11, 20, 1, 200), null);
  wal.append([entry(21)], null);
  const segs = listSegments(dir);
  assert.equal(segs.length, 2);
  assert.equal(fs.statSync(nth(segs, 1).path).ino, inode);
  wal.close();
});

test('leftover temporary files from a crash during a roll are removed on open', (t) => {
  const dir = dataDir(t);
  Wal.create(dir, walOptions()).close();
  const junk = `${dir}/member/wal/0000000000000001-0000000000000001.seg.tmp`;
  fs.writeFileSync(junk, Buffer.alloc(100, 1));
  const { wal } = Wal.open(dir, asIndex(0), walOptions());
  wal.close();
  assert.equal(fs.existsSync(junk), false);
});

test('appends after reopening continue the chain and survive another restart', (t) => {
  const dir = dataDir(t);
  const opts = walOptions({ segmentSize: 4096 });
  let wal = Wal.create(dir, opts);
  wal.append(entries(1, 20, 1, 100), hardState(1, 5));
  wal.close();
  wal = Wal.open(dir, asIndex(0), opts).wal;
  wal.append(entries(21, 60, 2, 100), hardState(2, 40));
  wal.close();
  const { wal: last, recovered } = Wal.open(dir, asIndex(0), opts);
  last.close();
  assert.deepEqual(plain(recovered.entries), plain([...entries(1, 20, 1, 100), ...entries(21, 60, 2, 100)]));
});

test('a closed WAL refuses appends', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.close();
  assert.throws(() => wal.append([entry(1)], null), /closed/);
});

test('segment size below 4 KiB is refused', (t) => {
  const dir = dataDir(t);
  assert.throws(() => Wal.create(dir, walOptions({ segmentSize: 100 })), RangeError);
});

test('hard state terms and votes are stored as given', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append([], { term: asTerm(7), vote: '' as never, commit: asIndex(0) });
  wal.close();
  const { wal: again, recovered } = Wal.open(dir, asIndex(0), walOptions());
  again.close();
  assert.deepEqual(plainHardState(recovered.hardState), { term: 7, vote: '', commit: 0 });
});

test('an unsynced append costs no fdatasync and close makes it durable', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 2), hardState(1, 0));
  wal.append([], hardState(1, 2), false);
  assert.equal(wal.stats().fsyncs, 1);
  wal.close();
  const { wal: again, recovered } = Wal.open(dir, asIndex(0), walOptions());
  again.close();
  assert.deepEqual(plainHardState(recovered.hardState), plainHardState(hardState(1, 2)));
});

test('a roll first fdatasyncs the unsynced tail of the full segment, which then is no longer the last', (t) => {
  const dir = dataDir(t);
  const calls: string[] = [];
  const io = {
    writeSync: (fd: number, b: Uint8Array, o: number, l: number, p: number) => {
      calls.push(`write ${fd}`);
      return fs.writeSync(fd, b, o, l, p);
    },
    fdatasyncSync: (fd: number) => {
      calls.push(`fdatasync ${fd}`);
      fs.fdatasyncSync(fd);
    },
    fsyncSync: (fd: number) => fs.fsyncSync(fd),
  };
  const wal = Wal.create(dir, walOptions({ segmentSize: 4096, io }));
  wal.append(entries(1, 10, 1, 400), null, false);
  const oldFd = Number(last(calls).split(' ')[1]);
  calls.length = 0;
  wal.append([entry(11)], null);
  wal.close();
  assert.equal(listSegments(dir).length, 2);
  assert.equal(calls[0], `fdatasync ${oldFd}`);
});
