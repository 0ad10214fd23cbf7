// Watchers with etcd's watcherHub semantics, and the event history.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, Store } from '../../lib/store/index.js';
import { body, collect, del, expectV2Error, ONCE, put, putDir, STREAM, SYNC, storeWith, T0 } from './helpers.js';

const RECURSIVE_STREAM = { recursive: true, stream: true, sinceIndex: null };

test('a watcher gets the next event on its key', () => {
  const s = new Store();
  const w = collect(s, '/a', ONCE);
  const e = s.apply(put('/a', '1'), T0);
  assert.deepEqual(w.events, [e]);
});

test('a watcher that is not a stream ends after its first event', () => {
  const s = new Store();
  const w = collect(s, '/a', ONCE);
  s.apply(put('/a', '1'), T0);
  s.apply(put('/a', '2'), T0);
  assert.equal(w.events.length, 1);
  assert.equal(s.stats().watchers, 0);
});

test('a stream watcher keeps getting events', () => {
  const s = new Store();
  const w = collect(s, '/a', STREAM);
  s.apply(put('/a', '1'), T0);
  s.apply(put('/a', '2'), T0);
  assert.deepEqual(
    w.events.map((e) => e.node.value),
    ['1', '2'],
  );
  assert.equal(s.stats().watchers, 1);
});

test('a watcher does not see events on other keys', () => {
  const s = new Store();
  const w = collect(s, '/a', STREAM);
  s.apply(put('/ab', '1'), T0);
  s.apply(put('/b', '1'), T0);
  assert.equal(w.events.length, 0);
});

test('a non-recursive watcher of a directory does not see events below it', () => {
  const s = storeWith(putDir('/d'));
  const w = collect(s, '/d', STREAM);
  s.apply(put('/d/k', '1'), T0);
  assert.equal(w.events.length, 0);
});

test('a recursive watcher sees events anywhere below its path', () => {
  const s = new Store();
  const w = collect(s, '/d', RECURSIVE_STREAM);
  s.apply(put('/d/a/b', '1'), T0);
  s.apply(put('/dx', '1'), T0);
  assert.deepEqual(
    w.events.map((e) => e.node.key),
    ['/d/a/b'],
  );
});

test('a recursive watcher of the root sees every visible key', () => {
  const s = new Store();
  const w = collect(s, '/', RECURSIVE_STREAM);
  s.apply(put('/x/y', '1'), T0);
  assert.deepEqual(
    w.events.map((e) => e.node.key),
    ['/x/y'],
  );
});

test('a recursive watcher does not see hidden keys below it', () => {
  const s = new Store();
  const w = collect(s, '/d', RECURSIVE_STREAM);
  s.apply(put('/d/_h', '1'), T0);
  s.apply(put('/d/_hd/k', '1'), T0);
  assert.equal(w.events.length, 0);
});

test('a watcher of a hidden key sees its events', () => {
  const s = new Store();
  const w = collect(s, '/d/_h', ONCE);
  s.apply(put('/d/_h', '1'), T0);
  assert.equal(w.events.length, 1);
});

test('a recursive watcher inside a hidden directory sees the keys below it', () => {
  const s = new Store();
  const w = collect(s, '/_d', RECURSIVE_STREAM);
  s.apply(put('/_d/k', '1'), T0);
  assert.equal(w.events.length, 1);
});

test('deleting a directory notifies watchers of keys inside it', () => {
  const s = storeWith(put('/d/k', '1'));
  const w = collect(s, '/d/k', ONCE);
  const e = s.apply(del('/d', { recursive: true }), T0);
  assert.deepEqual(w.events, [e]);
  assert.equal(e.node.key, '/d');
});

test('deleting a directory does not notify watchers of keys that did not exist', () => {
  const s = storeWith(put('/d/k', '1'));
  const w = collect(s, '/d/none', STREAM);
  s.apply(del('/d', { recursive: true }), T0);
  assert.equal(w.events.length, 0);
});

test('a stream watcher of a deleted key gets the delete twice, as etcd sends it', () => {
  const s = storeWith(put('/a', '1'));
  const w = collect(s, '/a', STREAM);
  s.apply(del('/a'), T0);
  assert.deepEqual(
    w.events.map((e) => e.action),
    ['delete', 'delete'],
  );
});

test('expiry notifies watchers of keys inside an expired directory', () => {
  const s = storeWith(putDir('/d', { ttl: 1 }), put('/d/k', '1'));
  const w = collect(s, '/d/k', ONCE);
  s.apply(SYNC, T0 + 1000);
  assert.deepEqual(
    w.events.map((e) => [e.action, e.node.key]),
    [['expire', '/d']],
  );
});

test('cancel stops a watcher and is idempotent', () => {
  const s = new Store();
  const w = collect(s, '/a', STREAM);
  w.cancel();
  w.cancel();
  s.apply(put('/a', '1'), T0);
  assert.equal(w.events.length, 0);
  assert.equal(s.stats().watchers, 0);
});

test('a watcher may cancel itself from its callback', () => {
  const s = new Store();
  let n = 0;
  const h = s.watch('/a', STREAM, () => {
    n++;
    h.cancel();
  });
  s.apply(put('/a', '1'), T0);
  s.apply(put('/a', '2'), T0);
  assert.equal(n, 1);
});

test('a throwing watcher is dropped and does not stop the others or the apply', () => {
  const s = new Store();
  s.watch('/a', STREAM, () => {
    throw new Error('boom');
  });
  const w = collect(s, '/a', STREAM);
  s.apply(put('/a', '1'), T0);
  assert.equal(w.events.length, 1);
  assert.equal(s.stats().watchers, 1);
});

test('sinceIndex replays the first matching event from the history with the current store index', () => {
  const s = storeWith(put('/a', '1'), put('/b', '1'), put('/a', '2'));
  const w = collect(s, '/a', { recursive: false, stream: false, sinceIndex: 2 });
  assert.equal(w.events.length, 1);
  assert.equal(w.events[0]!.node.value, '2');
  assert.equal(w.events[0]!.etcdIndex, 3);
  assert.equal(s.stats().watchers, 0);
});

test('sinceIndex in the future waits for an event at or after it', () => {
  const s = storeWith(put('/a', '1'));
  const w = collect(s, '/a', { recursive: false, stream: true, sinceIndex: 3 });
  s.apply(put('/a', '2'), T0);
  s.apply(put('/a', '3'), T0);
  assert.deepEqual(
    w.events.map((e) => e.node.modifiedIndex),
    [3],
  );
});

test('a stream watcher answered from the history ends there, as in etcd', () => {
  const s = storeWith(put('/a', '1'));
  const w = collect(s, '/a', { recursive: false, stream: true, sinceIndex: 1 });
  s.apply(put('/a', '2'), T0);
  assert.deepEqual(
    w.events.map((e) => e.node.value),
    ['1'],
  );
});

test('history replay to a recursive watcher matches keys below the path', () => {
  const s = storeWith(put('/d/x', '1'), put('/e', '1'));
  const w = collect(s, '/d', { recursive: true, stream: false, sinceIndex: 1 });
  assert.equal(w.events[0]!.node.key, '/d/x');
});

test('history replay finds the deletion of a directory above the watched key', () => {
  const s = storeWith(put('/d/k', '1'), del('/d', { recursive: true }));
  const w = collect(s, '/d/k', { recursive: false, stream: false, sinceIndex: 2 });
  assert.equal(w.events[0]!.action, 'delete');
});

test("a sinceIndex older than the history fails with 401 and etcd's cause", () => {
  const s = new Store({ historySize: 3 });
  for (let i = 0; i < 5; i++) s.apply(put('/a', String(i)), T0);
  const err = expectV2Error(
    () => s.watch('/a', { recursive: false, stream: false, sinceIndex: 2 }, () => {}),
    ErrorCode.EventIndexCleared,
    'the requested history has been cleared [3/2]',
    5,
  );
  assert.equal(err.message, 'The event in requested index is outdated and cleared');
});

test('the oldest index still in the history can be watched', () => {
  const s = new Store({ historySize: 3 });
  for (let i = 0; i < 5; i++) s.apply(put('/a', String(i)), T0);
  const w = collect(s, '/a', { recursive: false, stream: false, sinceIndex: 3 });
  assert.equal(w.events[0]!.node.modifiedIndex, 3);
});

test('the history window is 1000 events by default', () => {
  const s = new Store();
  for (let i = 0; i < 1001; i++) s.apply(put('/a', String(i)), T0);
  expectV2Error(
    () => s.watch('/a', { recursive: false, stream: false, sinceIndex: 1 }, () => {}),
    ErrorCode.EventIndexCleared,
    'the requested history has been cleared [2/1]',
  );
});

test('watch paths are cleaned like keys', () => {
  const s = new Store();
  const w = collect(s, 'a/b/', ONCE);
  s.apply(put('/a/b', '1'), T0);
  assert.equal(w.events.length, 1);
});

test('the watcher count includes only registered watchers', () => {
  const s = storeWith(put('/a', '1'));
  collect(s, '/a', ONCE);
  collect(s, '/b', STREAM);
  collect(s, '/a', { recursive: false, stream: false, sinceIndex: 1 });
  assert.equal(s.stats().watchers, 2);
});

test('events delivered to watchers are the events apply returns', () => {
  const s = new Store();
  const w = collect(s, '/a', ONCE);
  const e = s.apply(put('/a', '1', { prevExist: false }), T0);
  assert.equal(body(w.events[0]!), body(e));
});
