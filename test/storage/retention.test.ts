import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asIndex, asTerm } from '../../lib/raft/types.js';
import { listSegments } from '../../lib/storage/files.js';
import { SnapshotStore, Wal } from '../../lib/storage/index.js';
import { dataDir, entries, entry, hardState, plain, plainHardState, recordOffsets, walOptions } from './helpers.js';
import { first, nth } from '../support/pick.js';

const meta = (index: number, term: number) => ({ index: asIndex(index), term: asTerm(term), conf: { voters: [] } });

function manySegments(t: Parameters<typeof dataDir>[0], maxWals: number) {
  const dir = dataDir(t);
  const opts = walOptions({ segmentSize: 4096, maxWals });
  const wal = Wal.create(dir, opts);
  for (let i = 1; i <= 120; i++) wal.append([entry(i, 1, 200)], hardState(1, i));
  return { dir, opts, wal };
}

test('releaseTo deletes the segments whose entries all lie at or before the index', (t) => {
  const { dir, opts, wal } = manySegments(t, 1);
  const before = listSegments(dir);
  const cut = nth(before, 3).firstIndex - 1;
  const removed = wal.releaseTo(asIndex(cut));
  wal.close();
  assert.deepEqual(
    removed,
    before.slice(0, 3).map((s) => s.path),
  );
  assert.equal(first(listSegments(dir)).seq, 3);
  const { wal: again, recovered } = Wal.open(dir, asIndex(cut), opts);
  again.close();
  assert.equal(first(recovered.entries).index, cut + 1);
  assert.equal(recovered.entries.length, 120 - cut);
  assert.deepEqual(recovered.hardState?.commit, 120);
});

test('releaseTo keeps a segment that still holds an entry after the index', (t) => {
  const { dir, wal } = manySegments(t, 1);
  const before = listSegments(dir);
  wal.releaseTo(asIndex(nth(before, 3).firstIndex - 2));
  wal.close();
  assert.equal(first(listSegments(dir)).seq, 2);
});

test('releaseTo keeps at least maxWals segment files', (t) => {
  const { dir, wal } = manySegments(t, 4);
  const total = listSegments(dir).length;
  wal.releaseTo(asIndex(1000));
  wal.close();
  assert.equal(listSegments(dir).length, 4);
  assert.ok(total > 4);
});

test('the hard state survives the deletion of the segment it was appended in', (t) => {
  const dir = dataDir(t);
  const opts = walOptions({ segmentSize: 4096, maxWals: 1 });
  const wal = Wal.create(dir, opts);
  wal.append([entry(1)], hardState(3, 1, '0000000000000009'));
  for (let i = 2; i <= 80; i++) wal.append([entry(i, 3, 200)], null);
  wal.releaseTo(asIndex(79));
  wal.close();
  assert.ok(first(listSegments(dir)).seq > 0);
  const { wal: again, recovered } = Wal.open(dir, asIndex(79), opts);
  again.close();
  assert.deepEqual(plainHardState(recovered.hardState), { term: 3, vote: '0000000000000009', commit: 1 });
});

test('a snapshot marker of an entry the log holds leaves the log as it is', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 10, 2), null);
  wal.markSnapshot(meta(6, 2));
  wal.append(entries(11, 12, 2), null);
  wal.close();
  const { wal: again, recovered } = Wal.open(dir, asIndex(6), walOptions());
  again.close();
  assert.deepEqual(
    recovered.entries.map((e) => e.index),
    [7, 8, 9, 10, 11, 12],
  );
});

test('a snapshot beyond the end of the log restarts the log after it', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 5, 1), null);
  wal.markSnapshot(meta(100, 3));
  assert.equal(wal.lastIndex(), 100);
  wal.append(entries(101, 102, 3), null);
  wal.close();
  const { wal: again, recovered } = Wal.open(dir, asIndex(100), walOptions());
  again.close();
  assert.deepEqual(plain(recovered.entries), plain(entries(101, 102, 3)));
});

test('a snapshot whose term differs from the stored entry discards the stale suffix', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 10, 1), null);
  wal.markSnapshot(meta(8, 2));
  wal.close();
  const { wal: again, recovered } = Wal.open(dir, asIndex(8), walOptions());
  again.close();
  assert.deepEqual(recovered.entries, []);
  const marker = recordOffsets(dir, first(listSegments(dir)).path).find((r) => r.kind === 'snapshotMarker');
  assert.equal(marker?.index, 8);
});

test('restarting from an older snapshot than a log reset is refused as a gap', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 5, 1), null);
  wal.markSnapshot(meta(50, 2));
  wal.close();
  assert.throws(() => Wal.open(dir, asIndex(3), walOptions()), /after the snapshot at index 3/);
});

test('segments rolled after a log reset start after the snapshot and replay across it', (t) => {
  const dir = dataDir(t);
  const opts = walOptions({ segmentSize: 4096 });
  const wal = Wal.create(dir, opts);
  for (let i = 1; i <= 15; i++) wal.append([entry(i, 1, 300)], null);
  wal.markSnapshot(meta(500, 2));
  const segmentsBefore = listSegments(dir).length;
  for (let i = 501; i <= 530; i++) wal.append([entry(i, 2, 300)], null);
  wal.close();
  const later = listSegments(dir).slice(segmentsBefore);
  assert.ok(later.length > 0);
  for (const s of later) assert.ok(s.firstIndex > 500, `${s.name} starts after the snapshot`);
  const { wal: again, recovered } = Wal.open(dir, asIndex(500), opts);
  again.close();
  assert.deepEqual(plain(recovered.entries), plain(Array.from({ length: 30 }, (_, k) => entry(501 + k, 2, 300))));
});

// A crash between SnapshotStore.save and Wal.markSnapshot.

async function saveSnapshotFile(dir: string, index: number, term: number): Promise<void> {
  await new SnapshotStore(dir).save({ meta: meta(index, term), data: Buffer.from('state') });
}

test('restarting from a snapshot beyond the log that was never marked writes its marker, and the log goes on after it', async (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 5, 1), null);
  wal.close();
  await saveSnapshotFile(dir, 50, 3);
  const { wal: opened, recovered } = Wal.open(dir, asIndex(50), walOptions());
  assert.deepEqual(recovered.entries, []);
  opened.append(entries(51, 52, 3), null);
  opened.close();
  const again = Wal.open(dir, asIndex(50), walOptions());
  again.wal.close();
  assert.deepEqual(plain(again.recovered.entries), plain(entries(51, 52, 3)));
  const markers = recordOffsets(dir, first(listSegments(dir)).path).filter((r) => r.kind === 'snapshotMarker');
  assert.deepEqual(
    markers.map((m) => m.index),
    [50],
  );
});

test('restarting from an unmarked snapshot whose term contradicts the stored entry drops the stale entries after it', async (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 10, 1), null);
  wal.close();
  await saveSnapshotFile(dir, 8, 2);
  const { wal: opened, recovered } = Wal.open(dir, asIndex(8), walOptions());
  assert.deepEqual(recovered.entries, []);
  opened.append(entries(9, 9, 2), null);
  opened.close();
  const again = Wal.open(dir, asIndex(8), walOptions());
  again.wal.close();
  assert.deepEqual(plain(again.recovered.entries), plain(entries(9, 9, 2)));
});

test('restarting from an unmarked snapshot the log holds changes nothing', async (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 10, 1), null);
  wal.close();
  await saveSnapshotFile(dir, 8, 1);
  const { wal: opened, recovered } = Wal.open(dir, asIndex(8), walOptions());
  opened.close();
  assert.deepEqual(
    recovered.entries.map((e) => e.index),
    [9, 10],
  );
  assert.equal(recordOffsets(dir, first(listSegments(dir)).path).filter((r) => r.kind === 'snapshotMarker').length, 0);
});
