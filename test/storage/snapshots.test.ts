import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { asIndex, asMemberId, asTerm, type Snapshot } from '../../lib/raft/types.js';
import { SnapshotStore, StorageError, readSnapshotFile } from '../../lib/storage/index.js';
import { snapshotFileType } from '../../lib/storage/schema.js';
import { capturingLogger, dataDir, flipByte, MEMBER } from './helpers.js';

function snapshot(index: number, term: number, data = `state at ${index}`): Snapshot {
  return {
    meta: {
      index: asIndex(index),
      term: asTerm(term),
      conf: { voters: [asMemberId(MEMBER), asMemberId('0000000000000002')] },
    },
    data: Buffer.from(data),
  };
}

const plainSnapshot = (s: Snapshot | null) =>
  s && { index: s.meta.index, term: s.meta.term, voters: [...s.meta.conf.voters], data: s.data.toString() };

test('a saved snapshot is named <term>-<index>.snap and loads back whole', async (t) => {
  const dir = dataDir(t);
  const store = new SnapshotStore(dir);
  const path = await store.save(snapshot(0x2710, 2));
  assert.ok(path.endsWith('/member/snap/0000000000000002-0000000000002710.snap'));
  assert.deepEqual(plainSnapshot(store.loadNewest()), plainSnapshot(snapshot(0x2710, 2)));
});

test('no snapshot files: loadNewest is null and oldestIndex is null', (t) => {
  const store = new SnapshotStore(dataDir(t));
  assert.equal(store.loadNewest(), null);
  assert.equal(store.oldestIndex(), null);
});

test('the file is one CRC-framed Avro record any Avro reader can decode', async (t) => {
  const dir = dataDir(t);
  const path = await new SnapshotStore(dir).save(snapshot(5, 1, 'abc'));
  const buf = fs.readFileSync(path);
  assert.equal(buf.readUInt32LE(0), buf.length - 8);
  const rec = snapshotFileType.fromBuffer(buf.subarray(8)) as { meta: { index: number }; data: Buffer };
  assert.equal(rec.meta.index, 5);
  assert.equal(rec.data.toString(), 'abc');
});

test('loadNewest picks the highest index', async (t) => {
  const store = new SnapshotStore(dataDir(t));
  await store.save(snapshot(10, 1));
  await store.save(snapshot(30, 2));
  await store.save(snapshot(20, 2));
  assert.equal(store.loadNewest()?.meta.index, 30);
});

test('a damaged newest snapshot is passed over with a warning naming the file', async (t) => {
  const { logger, lines } = capturingLogger();
  const store = new SnapshotStore(dataDir(t), { logger });
  await store.save(snapshot(10, 1));
  const newest = await store.save(snapshot(20, 1));
  flipByte(newest, 20);
  assert.equal(store.loadNewest()?.meta.index, 10);
  const warning = lines.find((l) => l.level === 40);
  assert.equal(warning?.file, newest);
});

test('a truncated snapshot file is reported as corrupt', async (t) => {
  const store = new SnapshotStore(dataDir(t));
  const path = await store.save(snapshot(10, 1, 'x'.repeat(1000)));
  fs.truncateSync(path, 500);
  assert.throws(
    () => readSnapshotFile(path),
    (e: unknown) => e instanceof StorageError && e.code === 'CORRUPT' && e.file === path,
  );
  assert.equal(store.loadNewest(), null);
});

test('a snapshot file whose name disagrees with its metadata is refused', async (t) => {
  const store = new SnapshotStore(dataDir(t));
  const path = await store.save(snapshot(10, 1));
  const renamed = path.replace('000000000000000a.snap', '000000000000000b.snap');
  fs.renameSync(path, renamed);
  assert.throws(
    () => readSnapshotFile(renamed),
    (e: unknown) => e instanceof StorageError && e.code === 'MISMATCH',
  );
});

test('save keeps the newest maxSnapshots files and oldestIndex names the oldest kept', async (t) => {
  const store = new SnapshotStore(dataDir(t), { maxSnapshots: 2 });
  for (const i of [10, 20, 30, 40]) await store.save(snapshot(i, 1));
  assert.deepEqual(
    store.list().map((s) => s.index),
    [40, 30],
  );
  assert.equal(store.oldestIndex(), 30);
});

test('list reports each file with its validity and the reason when invalid', async (t) => {
  const store = new SnapshotStore(dataDir(t));
  await store.save(snapshot(10, 1));
  const bad = await store.save(snapshot(20, 1));
  flipByte(bad, 12);
  const [newest, older] = store.list();
  assert.ok(newest && older, 'two snapshot files listed');
  assert.equal(newest.valid, false);
  assert.match(newest.problem ?? '', /CRC/);
  assert.equal(older.valid, true);
  assert.equal(older.dataBytes, Buffer.byteLength('state at 10'));
});

test('leftover temporary files of an interrupted save are removed by the next save', async (t) => {
  const dir = dataDir(t);
  const store = new SnapshotStore(dir);
  await store.save(snapshot(10, 1));
  const junk = `${dir}/member/snap/0000000000000001-0000000000000014.snap.1-1.tmp`;
  fs.writeFileSync(junk, 'partial');
  await store.save(snapshot(20, 1));
  assert.equal(fs.existsSync(junk), false);
});

test('an empty snapshot and one with no voters round-trip', async (t) => {
  const store = new SnapshotStore(dataDir(t));
  await store.save({ meta: { index: asIndex(1), term: asTerm(1), conf: { voters: [] } }, data: Buffer.alloc(0) });
  const s = store.loadNewest();
  assert.equal(s?.data.length, 0);
  assert.deepEqual(s?.meta.conf.voters, []);
});
