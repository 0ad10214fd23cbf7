// snapshot() / restore(): the restored store is the same store.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, Store } from '../../lib/store/index.js';
import { body, collect, del, expectV2Error, post, put, putDir, SYNC, T0 } from './helpers.js';

function sample(): Store {
  const s = new Store({ historySize: 4 });
  s.apply(put('/a/b', '1'), T0);
  s.apply(put('/a/_h', 'hidden', { ttl: 100 }), T0);
  s.apply(putDir('/d', { ttl: 5 }), T0);
  s.apply(post('/q', 'job'), T0);
  s.apply(put('/a/b', '2', { prevValue: '1' }), T0);
  s.apply(put('/z', 'ü ✓ \u{1F600}'), T0);
  s.apply(put('/z', '', { ttl: 60, refresh: true }), T0);
  s.apply(del('/q', { recursive: true }), T0);
  return s;
}

test('a restored store has the same tree, values, TTLs and indexes', () => {
  const s = sample();
  const r = Store.restore(s.snapshot());
  assert.equal(body(r.get('/', true, true, T0)), body(s.get('/', true, true, T0)));
  assert.equal(r.get('/a/_h', false, false, T0 + 1).node.ttl, 100);
  assert.equal(r.index, s.index);
  assert.equal(r.nodeCount, s.nodeCount);
  assert.equal(r.nextExpiry(), s.nextExpiry());
});

test('a restored store keeps the counters but no watchers', () => {
  const s = sample();
  collect(s, '/a', { recursive: false, stream: true, sinceIndex: null });
  const r = Store.restore(s.snapshot());
  assert.deepEqual(r.stats(), { ...s.stats(), watchers: 0 });
});

test('a restored store keeps the children of each directory in their order', () => {
  const s = new Store();
  for (const k of ['m', 'c', 'x', 'a']) s.apply(put('/d/' + k, k), T0);
  const r = Store.restore(s.snapshot());
  assert.deepEqual(
    r.get('/d', false, false, T0).node.nodes!.map((n) => n.key),
    ['/d/m', '/d/c', '/d/x', '/d/a'],
  );
});

test('a restored store replays the same history to watchers', () => {
  const s = sample();
  const r = Store.restore(s.snapshot());
  for (let since = 5; since <= s.index; since++) {
    const opts = { recursive: true, stream: false, sinceIndex: since };
    assert.deepEqual(collect(r, '/', opts).events, collect(s, '/', opts).events, `since ${since}`);
  }
});

test('a restored store refuses the same cleared indexes', () => {
  const r = Store.restore(sample().snapshot());
  expectV2Error(
    () => r.watch('/', { recursive: true, stream: false, sinceIndex: 4 }, () => {}),
    ErrorCode.EventIndexCleared,
    'the requested history has been cleared [5/4]',
  );
});

test('a restored store answers later requests exactly as the original', () => {
  const s = sample();
  const r = Store.restore(s.snapshot());
  const later = [
    put('/a/b', '3', { prevIndex: 5n }),
    post('/q', 'again'),
    SYNC,
    del('/a', { recursive: true }),
    put('/n', 'v', { ttl: 1 }),
  ];
  for (const [i, req] of later.entries()) {
    const time = T0 + 10_000 * (i + 1);
    assert.deepEqual(r.apply(req, time), s.apply(req, time));
  }
  assert.equal(body(r.get('/', true, true, T0)), body(s.get('/', true, true, T0)));
});

test('an empty store round-trips', () => {
  const r = Store.restore(new Store().snapshot());
  assert.equal(r.index, 0);
  assert.equal(r.nodeCount, 0);
});

test('restore of bytes that are not a snapshot throws instead of building a broken store', () => {
  const good = sample().snapshot();
  assert.throws(() => Store.restore(Buffer.from('not a snapshot')));
  assert.throws(() => Store.restore(good.subarray(0, good.length - 3)));
});

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function large(keys: number): Store {
  const s = new Store();
  for (let i = 0; i < keys; i++) s.apply(put(`/big/d${i % 7}/k${i}`, `v${i}`, i % 500 === 0 ? { ttl: 60 } : {}), T0);
  return s;
}

test('a snapshot encoded in pieces restores to the same store as one encoded at once', async () => {
  const s = large(45_000);
  const whole = Store.restore(s.snapshot());
  const pieces = Store.restore(await s.snapshotInPieces(0, nextTurn));
  assert.deepEqual(pieces.get('/', true, true, T0), whole.get('/', true, true, T0));
  assert.equal(pieces.index, whole.index);
  assert.equal(pieces.nextExpiry(), whole.nextExpiry());
  assert.deepEqual(pieces.stats(), whole.stats());
});

test('a snapshot encoded in pieces holds the state at the call, not changes made while it encodes', async () => {
  const s = large(45_000);
  const expected = Store.restore(s.snapshot());
  let turns = 0;
  const encoding = s.snapshotInPieces(0, async () => {
    turns++;
    s.apply(put(`/big/d0/k${turns}`, 'changed later'), T0);
    s.apply(put(`/late/k${turns}`, 'x'), T0);
    await nextTurn();
  });
  const restored = Store.restore(await encoding);
  assert.ok(turns > 1, 'the encoding should have yielded');
  assert.deepEqual(restored.get('/', true, true, T0), expected.get('/', true, true, T0));
  assert.deepEqual(restored.stats(), expected.stats());
});

test('a snapshot decoded in pieces is the same store as one restored at once, from one block or many', async () => {
  const s = large(45_000);
  for (const bytes of [s.snapshot(), await s.snapshotInPieces(0, nextTurn)]) {
    const whole = Store.restore(bytes);
    const pieces = await Store.restoreInPieces(bytes, nextTurn);
    assert.equal(pieces.hash(), whole.hash());
    assert.deepEqual(pieces.snapshot(), whole.snapshot());
    assert.equal(pieces.nextExpiry(), whole.nextExpiry());
  }
  const small = sample();
  const restored = await Store.restoreInPieces(small.snapshot(), nextTurn);
  assert.deepEqual(restored.snapshot(), Store.restore(small.snapshot()).snapshot());
});

test('decoding in pieces refuses bytes that are not a whole snapshot', async () => {
  const good = sample().snapshot();
  await assert.rejects(Store.restoreInPieces(Buffer.from('not a snapshot'), nextTurn));
  await assert.rejects(Store.restoreInPieces(good.subarray(0, good.length - 3), nextTurn));
  await assert.rejects(Store.restoreInPieces(Buffer.concat([good, Buffer.from([0])]), nextTurn));
});

test('a snapshot encoded in pieces leaves the headroom it was asked for', async () => {
  const s = large(30_000);
  const data = await s.snapshotInPieces(9, nextTurn);
  assert.deepEqual(
    Store.restore(data.subarray(9)).get('/', true, true, T0),
    Store.restore(s.snapshot()).get('/', true, true, T0),
  );
});

test('a snapshot encoded in pieces is whole when its values take more bytes than characters', async () => {
  const s = new Store();
  for (let i = 0; i < 20_000; i++) s.apply(put(`/wide/k${i}`, `${'é'.repeat(100)}${i}`), T0);
  const restored = Store.restore(await s.snapshotInPieces(0, nextTurn));
  assert.deepEqual(restored.get('/', true, true, T0), s.get('/', true, true, T0));
});

test('a snapshot taken in slices is the tree at the call, whatever is updated, swapped, refreshed, deleted or added meanwhile', async () => {
  const s = large(45_000);
  const expected = Store.restore(s.snapshot());
  let turn = 0;
  const attempt = (r: Parameters<Store['apply']>[0]): void => {
    try {
      s.apply(r, T0 + turn);
    } catch {
      // a key an earlier turn deleted or changed: the other changes still happen
    }
  };
  const data = await s.snapshotInPieces(0, async () => {
    turn++;
    const k = (turn * 7919) % 44_990;
    const at = (i: number) => `/big/d${i % 7}/k${i}`;
    attempt(put(at(k), 'updated', { prevExist: true }));
    attempt(put(at(k + 1), 'swapped', { prevValue: `v${k + 1}` }));
    attempt(put(at(k + 2), '', { ttl: 5, refresh: true, prevExist: true }));
    attempt(put(at(k + 3), 'no TTL now', { ttl: null, prevExist: true }));
    attempt(del(at(k + 4)));
    attempt(put(`/big/d${k % 7}/new${turn}`, 'added'));
    if (turn === 1) attempt(del('/big/d6', { recursive: true }));
    await nextTurn();
  });
  assert.ok(turn > 3, 'the snapshot should have paused more than three times');
  const restored = Store.restore(data);
  assert.deepEqual(restored.get('/', true, true, T0), expected.get('/', true, true, T0));
  assert.equal(restored.index, expected.index);
  assert.equal(restored.nodeCount, expected.nodeCount);
  assert.equal(restored.nextExpiry(), expected.nextExpiry());
  assert.deepEqual(restored.stats(), expected.stats());
});
