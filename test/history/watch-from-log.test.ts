// Watches older than the in-memory window are answered from the log, with
// the answer a store that had kept every event in memory would give.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { History, HistoryOptions, ReplayPurpose } from '../../lib/history/index.js';
import { listSegments } from '../../lib/storage/index.js';
import { V2Error, type Event, type Store } from '../../lib/store/index.js';
import { nth } from '../support/pick.js';
import { LogFixture, PATHS, random, randomRequest, REPLAY_WORKER, T0 } from './fixture.js';

/**
 * The event a watch gets at once (null when it waits for a future one).
 * `watchers` counts the live store's watchers: a watch that found nothing in
 * the past ends up registered there.
 */
async function firstEvent(
  watch: (onEvent: (e: Event) => void) => { cancel(): void },
  live: Store,
): Promise<Event | null> {
  const before = (live.stats() as { watchers: number }).watchers;
  let got: Event | null = null;
  const h = watch((e) => (got = e));
  try {
    for (let i = 0; i < 10_000 && got === null; i++) {
      if ((live.stats() as { watchers: number }).watchers > before) return null;
      await new Promise((r) => setTimeout(r, 2));
    }
    if (got === null) throw new Error('the watch neither answered nor registered');
    return got;
  } finally {
    h.cancel();
  }
}

/** Where the replays that fill the watches' window run. */
const REPLAYS: [string, Partial<HistoryOptions>][] = [
  ['on the member thread', {}],
  ['on a worker thread', { replayWorker: REPLAY_WORKER }],
];

function fromLog(h: History, live: Store, path: string, recursive: boolean, since: number): Promise<Event | null> {
  return firstEvent((on) => h.watch(path, { recursive, stream: false, sinceIndex: since }, on, () => {}), live);
}

function fromMemory(ref: Store, path: string, recursive: boolean, since: number): Promise<Event | null> {
  return firstEvent((on) => ref.watch(path, { recursive, stream: false, sinceIndex: since }, on), ref);
}

/** 1000 requests of every kind (failing ones, hidden keys, TTLs that expire, refreshes) with three snapshots on the way (the oldest is pruned, and the log before the next). */
async function busyLog(t: import('node:test').TestContext): Promise<LogFixture> {
  const f = new LogFixture(t);
  const rnd = random(15);
  for (let i = 1; i <= 1000; i++) {
    f.apply(randomRequest(rnd), 300);
    if (i === 300 || i === 600 || i === 700) await f.snapshot();
  }
  return f;
}

for (const [where, mode] of REPLAYS) {
  describe(`watches from the log, replayed ${where}`, () => {
    it('answer every watch older than the in-memory window as a store that kept all events does', async (t) => {
      const f = await busyLog(t);
      const replays: ReplayPurpose[] = [];
      const h = f.history({ ...mode, onReplay: (p) => replays.push(p) });
      t.after(() => h.close());
      const live = f.sm.store;
      assert.ok(live.oldestWatchableIndex > 100, 'the live window is small');
      const oldest = h.oldestWatchIndex();
      let compared = 0;
      let events = 0;
      for (let since = oldest; since < live.oldestWatchableIndex; since += 7) {
        for (const path of [...PATHS, '/']) {
          for (const recursive of [false, true]) {
            const want = await fromMemory(f.reference, path, recursive, since);
            const got = await fromLog(h, live, path, recursive, since);
            assert.deepEqual(got, want, `watch ${path} recursive=${recursive} from ${since}`);
            compared++;
            if (want !== null) events++;
          }
        }
      }
      assert.ok(compared > 300 && events > 200, `${compared} watches compared, ${events} answered with an event`);
      assert.deepEqual(replays, ['watch'], 'the whole stretch fits the shared window: one replay served every watch');
      const actions = new Set<string>();
      for (let i = oldest; i <= live.index; i++) {
        const e = await fromMemory(f.reference, '/', true, i);
        if (e) actions.add(e.action);
      }
      for (const a of ['set', 'create', 'update', 'delete', 'expire', 'compareAndSwap', 'compareAndDelete']) {
        assert.ok(actions.has(a), `the log holds a ${a} event`);
      }
    });

    it("refuses an index older than the oldest snapshot with etcd's 401, naming the oldest index available", async (t) => {
      const f = await busyLog(t);
      const h = f.history(mode);
      t.after(() => h.close());
      const oldest = h.oldestWatchIndex();
      assert.ok(oldest > 1, 'the log was released up to the oldest snapshot');
      assert.throws(
        () =>
          h.watch(
            '/a',
            { recursive: true, stream: false, sinceIndex: oldest - 1 },
            () => {},
            () => {},
          ),
        (err: unknown) => {
          assert.ok(err instanceof V2Error);
          assert.equal(
            JSON.stringify(err),
            JSON.stringify({
              errorCode: 401,
              message: 'The event in requested index is outdated and cleared',
              cause: `the requested history has been cleared [${oldest}/${oldest - 1}]`,
              index: f.sm.store.index,
            }),
          );
          return true;
        },
      );
    });

    it('hands a watch that finds nothing in the log to the live store, which then sees the next change', async (t) => {
      const f = await busyLog(t);
      const h = f.history(mode);
      t.after(() => h.close());
      let got: Event | null = null;
      const w = h.watch(
        '/never/set',
        { recursive: false, stream: false, sinceIndex: h.oldestWatchIndex() },
        (e) => (got = e),
        () => {},
      );
      t.after(() => w.cancel());
      for (let i = 0; i < 2000 && (f.sm.store.stats() as { watchers: number }).watchers === 0; i++)
        await new Promise((r) => setTimeout(r, 2));
      f.apply({ op: 'put', path: '/never/set', value: 'now', dir: false, ttl: null, refresh: false });
      assert.equal((got as Event | null)?.node.value, 'now');
    });

    it('answers many watchers catching up over the same stretch from one pass', async (t) => {
      const f = await busyLog(t);
      const h = f.history(mode);
      t.after(() => h.close());
      const live = f.sm.store;
      const since = h.oldestWatchIndex();
      // The first watch starts the replay; once it is answered the others find their events without waiting.
      assert.ok(await fromLog(h, live, '/', true, since));
      let atOnce = 0;
      for (let i = since; i < since + 100; i++) {
        let got: Event | null = null;
        h.watch(
          '/',
          { recursive: true, stream: false, sinceIndex: i },
          (e) => (got = e),
          () => {},
        ).cancel();
        if (got !== null) atOnce++;
      }
      assert.equal(atOnce, 100);
    });

    it('serves hundreds of concurrent watches from the same old index with one replay, as a store with every event does', async (t) => {
      const f = await busyLog(t);
      const replays: ReplayPurpose[] = [];
      const h = f.history({ ...mode, onReplay: (p) => replays.push(p), maxScans: 500 });
      t.after(() => h.close());
      const since = h.oldestWatchIndex();
      const asks = Array.from({ length: 400 }, (_, i) => ({
        path: nth([...PATHS, '/'], i % 10),
        recursive: i % 3 === 0,
      }));
      const answers = asks.map(() => null as Event | null | 'ended');
      const handles = asks.map((a, i) =>
        h.watch(
          a.path,
          { recursive: a.recursive, stream: false, sinceIndex: since },
          (e) => (answers[i] = e),
          () => (answers[i] = 'ended'),
        ),
      );
      t.after(() => handles.forEach((w) => w.cancel()));
      const live = f.sm.store;
      const settled = (): number =>
        answers.filter((a) => a !== null).length + (live.stats() as { watchers: number }).watchers;
      for (let i = 0; i < 5000 && settled() < asks.length; i++) await new Promise((r) => setTimeout(r, 2));
      for (const [i, a] of asks.entries()) {
        const want = await fromMemory(f.reference, a.path, a.recursive, since);
        assert.deepEqual(answers[i], want, `watch ${a.path} recursive=${a.recursive} from ${since}`);
      }
      assert.ok(
        answers.filter((a) => a !== null).length > 300,
        'most watches were answered from the log, the others wait in the live store',
      );
      assert.deepEqual(replays, ['watch']);
    });

    it("answers a watch from the live events that came while the replay ran, past the replay's end, without a second replay", async (t) => {
      const f = await busyLog(t);
      const replays: ReplayPurpose[] = [];
      const h = f.history({ ...mode, onReplay: (p) => replays.push(p) });
      t.after(() => h.close());
      const put = (path: string, value: string): void =>
        f.apply({ op: 'put', path, value, dir: false, ttl: null, refresh: false });
      let got: Event | null = null;
      // The replay begins here and ends at the live index of now.
      const w = h.watch(
        '/late',
        { recursive: false, stream: false, sinceIndex: h.oldestWatchIndex() },
        (e) => (got = e),
        () => {},
      );
      t.after(() => w.cancel());
      put('/late', 'after the replay began');
      const lateIndex = f.sm.store.index;
      for (let i = 0; i < 50; i++) put('/other', `${i}`);
      assert.ok(lateIndex < f.sm.store.oldestWatchableIndex, 'the event left the in-memory window');
      for (let i = 0; i < 5000 && got === null; i++) await new Promise((r) => setTimeout(r, 2));
      assert.equal((got as Event | null)?.node.modifiedIndex, lateIndex);
      assert.equal((got as Event | null)?.node.value, 'after the replay began');
      // A watch from just after it finds the live events in the same window.
      const next = await fromLog(h, f.sm.store, '/other', false, lateIndex + 1);
      assert.equal(next?.node.modifiedIndex, lateIndex + 1);
      assert.deepEqual(replays, ['watch']);
    });

    it('starts a fresh replay once a snapshot from the leader replaced the live tree, and answers as before', async (t) => {
      const f = await busyLog(t);
      const replays: ReplayPurpose[] = [];
      const h = f.history({ ...mode, onReplay: (p) => replays.push(p) });
      t.after(() => h.close());
      const since = h.oldestWatchIndex();
      assert.deepEqual(await fromLog(h, f.sm.store, '/', true, since), await fromMemory(f.reference, '/', true, since));
      // The same state, but a new tree object: the window's live feed watched the old one.
      f.sm.restore(f.sm.snapshotData());
      const put = { op: 'put', path: '/after', value: 'restore', dir: false, ttl: null, refresh: false } as const;
      for (let i = 0; i < 30; i++) f.apply(put);
      const late = f.sm.store.oldestWatchableIndex - 1;
      assert.deepEqual(
        await fromLog(h, f.sm.store, '/after', false, late),
        await fromMemory(f.reference, '/after', false, late),
      );
      assert.deepEqual(replays, ['watch', 'watch']);
    });

    it('ends the waiting watches when a segment of the log is corrupt, and answers others after', async (t) => {
      const f = await busyLog(t);
      const h = f.history(mode);
      t.after(() => h.close());
      const since = h.oldestWatchIndex();
      const segments = listSegments(f.dir);
      assert.ok(segments.length >= 2, `${segments.length} segments`);
      // A flipped byte in the middle of a full segment: a bad record, not a write in progress.
      const victim = nth(segments, segments.length - 2).path;
      const bytes = readFileSync(victim);
      const at = bytes.length >> 1;
      bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
      writeFileSync(victim, bytes);
      const ended = await new Promise<boolean>((resolve) => {
        h.watch(
          '/never/set',
          { recursive: false, stream: false, sinceIndex: since },
          () => resolve(false),
          () => resolve(true),
        );
      });
      assert.ok(ended, 'the watch ended without an event');
      // The live window still answers.
      const recent = f.sm.store.oldestWatchableIndex;
      assert.deepEqual(
        await fromLog(h, f.sm.store, '/', true, recent),
        await fromMemory(f.reference, '/', true, recent),
      );
    });

    it('refuses more waiting watches than its limit with etcd\'s "too many requests"', async (t) => {
      const f = await busyLog(t);
      const h = f.history({ ...mode, maxScans: 2 });
      t.after(() => h.close());
      const since = h.oldestWatchIndex();
      const open = [0, 1].map(() =>
        h.watch(
          '/none',
          { recursive: false, stream: false, sinceIndex: since },
          () => {},
          () => {},
        ),
      );
      t.after(() => open.forEach((w) => w.cancel()));
      assert.throws(
        () =>
          h.watch(
            '/none',
            { recursive: false, stream: false, sinceIndex: since },
            () => {},
            () => {},
          ),
        (err: unknown) =>
          err instanceof V2Error && err.errorCode === 300 && err.cause === 'etcdserver: too many requests',
      );
    });
  });
}

describe('replays on a worker thread', () => {
  it('end the waiting watches when the worker dies, and the member goes on', async (t) => {
    const f = await busyLog(t);
    const h = f.history({ replayWorker: import.meta.resolve('./failing-replay-worker.js') });
    t.after(() => h.close());
    const ended = await new Promise<boolean>((resolve) => {
      h.watch(
        '/a',
        { recursive: true, stream: false, sinceIndex: h.oldestWatchIndex() },
        () => resolve(false),
        () => resolve(true),
      );
    });
    assert.ok(ended, 'the watch ended without an event');
    assert.equal(h.replayThreads, 0);
    f.apply({ op: 'put', path: '/after', value: 'crash', dir: false, ttl: null, refresh: false });
    assert.equal(f.sm.store.get('/after', false, false, T0).node.value, 'crash');
  });

  it('stop with close, which ends the watches waiting on a replay', async (t) => {
    const f = await busyLog(t);
    const h = f.history({ replayWorker: import.meta.resolve('./silent-replay-worker.js') });
    let ended = false;
    h.watch(
      '/a',
      { recursive: true, stream: false, sinceIndex: h.oldestWatchIndex() },
      () => {},
      () => (ended = true),
    );
    for (let i = 0; i < 5000 && h.replayThreads === 0; i++) await new Promise((r) => setTimeout(r, 2));
    assert.equal(h.replayThreads, 1, 'a worker runs the replay');
    await h.close();
    assert.ok(ended, 'the waiting watch ended');
    assert.equal(h.replayThreads, 0);
  });
});

const withoutTtl = (e: Event): unknown => JSON.parse(JSON.stringify(e, (k, v) => (k === 'ttl' ? undefined : v)));

describe('reads at a past index', () => {
  it('return the tree as it was just after the index, recursively and sorted', async (t) => {
    const f = await busyLog(t);
    const h = f.history();
    t.after(() => h.close());
    const oldest = h.oldestTreeIndex() ?? Infinity;
    assert.notEqual(oldest, Infinity, 'a snapshot is kept');
    const current = f.sm.store.index;
    for (let index = oldest; index < current; index += 13) {
      const want = f.treeAt(index);
      const got = await h.readAt('/', true, true, index);
      const expected = want.store.get('/', true, true, want.time);
      expected.etcdIndex = index;
      // ttl counts from the last entry's time, which a tree read straight from a snapshot does not know (expiration says it all).
      assert.deepEqual(withoutTtl(got), withoutTtl(expected), `tree at ${index}`);
    }
  });

  it('show a TTL as it stood at the time of the index', async (t) => {
    const f = new LogFixture(t);
    f.apply({ op: 'put', path: '/lease', value: 'x', dir: false, ttl: 10, refresh: false });
    f.apply({ op: 'put', path: '/other', value: 'y', dir: false, ttl: null, refresh: false }, 3000);
    f.apply({ op: 'delete', path: '/lease', dir: false, recursive: false });
    const h = f.history();
    t.after(() => h.close());
    const node = (await h.readAt('/lease', false, false, 2)).node;
    // Set at T0 + 0.1 s for 10 s; index 2 is 3 s later.
    assert.equal(node.expiration, '2026-01-01T00:00:10.1Z');
    assert.equal(node.ttl, 7);
  });

  it('answer a key that did not exist then with 100 Key not found', async (t) => {
    const f = new LogFixture(t);
    f.apply({ op: 'put', path: '/early', value: '1', dir: false, ttl: null, refresh: false });
    f.apply({ op: 'put', path: '/late', value: '2', dir: false, ttl: null, refresh: false });
    const h = f.history();
    t.after(() => h.close());
    assert.equal((await h.readAt('/early', false, false, 1)).node.value, '1');
    await assert.rejects(
      h.readAt('/late', false, false, 1),
      (err: unknown) => err instanceof V2Error && err.errorCode === 100,
    );
  });

  it('refuse a future index with 450 and one older than every snapshot with 451', async (t) => {
    const f = await busyLog(t);
    const h = f.history();
    t.after(() => h.close());
    const current = f.sm.store.index;
    await assert.rejects(h.readAt('/a', false, false, current + 1), (err: unknown) => {
      assert.ok(err instanceof V2Error);
      assert.equal(err.errorCode, 450);
      assert.equal(err.status, 400);
      assert.equal(err.message, 'The requested index is in the future');
      return true;
    });
    const oldest = h.oldestTreeIndex() ?? Infinity;
    assert.notEqual(oldest, Infinity, 'a snapshot is kept');
    await assert.rejects(h.readAt('/a', false, false, oldest - 1), (err: unknown) => {
      assert.ok(err instanceof V2Error);
      assert.equal(err.errorCode, 451);
      assert.equal(err.status, 400);
      assert.match(err.cause, new RegExp(`oldest index still available is ${oldest}`));
      return true;
    });
  });
});
