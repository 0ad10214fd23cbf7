// The committed-log reader: committed entries only, in order, across
// segments, the last write of an overwritten index, while the log grows.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asIndex, asTerm } from '../../lib/raft/types.js';
import { CommittedLogReader, StorageError, Wal } from '../../lib/storage/index.js';
import type { Entry } from '../../lib/raft/types.js';
import { dataDir, entries, entry, hardState, walOptions } from './helpers.js';

/** index:term:first data byte, compact enough to read in a failed assertion. */
const plain = (es: readonly Entry[]): string[] => es.map((e) => `${e.index}:${e.term}:${e.data[0]}`);

async function readAll(r: CommittedLogReader): Promise<ReturnType<typeof plain>> {
  const out: ReturnType<typeof plain> = [];
  for (let calls = 0; calls < 10_000; calls++) {
    const got = await r.next(7);
    if (got.length === 0) return out;
    out.push(...plain(got));
  }
  throw new Error('reader never ran dry');
}

describe('CommittedLogReader', () => {
  it('returns the committed entries after an index, across segments, in small chunks', async (t) => {
    const dir = dataDir(t);
    const wal = Wal.create(dir, walOptions({ segmentSize: 4096 }));
    for (let i = 1; i <= 200; i += 10) wal.append(entries(i, i + 9, 1, 100), hardState(1, i + 9));
    wal.close();
    const r = new CommittedLogReader(dir, 55, { chunkBytes: 512 });
    t.after(() => r.close());
    assert.deepEqual(await readAll(r), plain(entries(56, 200, 1, 100)));
  });

  it('answers empty but not drained while uncommitted entries fill its chunk limit, drained at the end of the log', async (t) => {
    const dir = dataDir(t);
    const wal = Wal.create(dir, walOptions({ segmentSize: 1 << 20 }));
    // 60 entries of 1 KiB with no commit until the last: more than 2 chunks of 4 KiB hold nothing returnable.
    wal.append(entries(1, 60, 1, 1024), hardState(1, 0));
    wal.append([], hardState(1, 60));
    wal.close();
    const r = new CommittedLogReader(dir, 0, { chunkBytes: 4096 });
    t.after(() => r.close());
    assert.deepEqual(await r.next(100, 2), []);
    assert.equal(r.drained, false);
    const got: Entry[] = [];
    while (!r.drained) got.push(...(await r.next(100, 2)));
    assert.deepEqual(plain(got), plain(entries(1, 60, 1, 1024)));
  });

  it('holds back entries no hard state has committed yet', async (t) => {
    const dir = dataDir(t);
    const wal = Wal.create(dir, walOptions());
    wal.append(entries(1, 10), hardState(1, 6));
    const r = new CommittedLogReader(dir, 0);
    t.after(() => r.close());
    assert.deepEqual(await readAll(r), plain(entries(1, 6)));
    wal.append([], hardState(1, 10));
    wal.close();
    assert.deepEqual(await readAll(r), plain(entries(7, 10)));
  });

  it('returns the entry that overwrote an uncommitted one, not the one it replaced', async (t) => {
    const dir = dataDir(t);
    const wal = Wal.create(dir, walOptions());
    wal.append(entries(1, 8, 1), hardState(1, 5));
    // A new leader of term 2 replaced 6..8.
    wal.append(entries(6, 9, 2), hardState(2, 9));
    wal.close();
    const r = new CommittedLogReader(dir, 3);
    t.after(() => r.close());
    assert.deepEqual(await readAll(r), plain([...entries(4, 5, 1), ...entries(6, 9, 2)]));
  });

  it('goes on where it stopped as the member appends, segment rolls included', async (t) => {
    const dir = dataDir(t);
    const wal = Wal.create(dir, walOptions({ segmentSize: 4096 }));
    t.after(() => wal.close());
    const r = new CommittedLogReader(dir, 0, { chunkBytes: 300 });
    t.after(() => r.close());
    const seen: ReturnType<typeof plain> = [];
    for (let i = 1; i <= 120; i += 4) {
      wal.append(entries(i, i + 3, 1, 200), hardState(1, i + 3));
      await wal.flush();
      seen.push(...(await readAll(r)));
    }
    assert.deepEqual(seen, plain(entries(1, 120, 1, 200)));
  });

  it('says GAP when the log no longer holds the entry after the start', async (t) => {
    const dir = dataDir(t);
    const wal = Wal.create(dir, walOptions({ segmentSize: 4096, maxWals: 1 }));
    for (let i = 1; i <= 100; i += 5) wal.append(entries(i, i + 4, 1, 200), hardState(1, i + 4));
    wal.markSnapshot({ index: asIndex(90), term: asTerm(1), conf: { voters: [] } });
    wal.releaseTo(asIndex(90));
    wal.close();
    const r = new CommittedLogReader(dir, 2);
    t.after(() => r.close());
    await assert.rejects(r.next(10), (err: unknown) => err instanceof StorageError && err.code === 'GAP');
  });

  it('skips a single entry already covered by the start index', async (t) => {
    const dir = dataDir(t);
    const wal = Wal.create(dir, walOptions());
    wal.append([entry(1), entry(2)], hardState(1, 2));
    wal.close();
    const r = new CommittedLogReader(dir, 2);
    t.after(() => r.close());
    assert.deepEqual(await r.next(10), []);
  });
});
