// TTLs: deadlines from the entry time, expiry only through sync, refresh.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, Store } from '../../lib/store/index.js';
import { body, collect, expectV2Error, put, putDir, STREAM, SYNC, storeWith, T0 } from './helpers.js';

test('a TTL sets the deadline to the entry time plus the TTL', () => {
  const s = new Store();
  s.apply(put('/a', '1', { ttl: 30 }), T0);
  assert.equal(s.nextExpiry(), T0 + 30_000);
});

test('nextExpiry is null when no node has a TTL', () => {
  assert.equal(storeWith(put('/a', '1')).nextExpiry(), null);
});

test('nextExpiry is the earliest deadline', () => {
  const s = storeWith(put('/a', '1', { ttl: 30 }), put('/b', '1', { ttl: 10 }), put('/c', '1', { ttl: 20 }));
  assert.equal(s.nextExpiry(), T0 + 10_000);
});

test('a key is not removed when its deadline passes, only by a sync', () => {
  const s = storeWith(put('/a', '1', { ttl: 1 }));
  assert.equal(s.get('/a', false, false, T0 + 60_000).node.value, '1');
});

test('sync removes a key whose deadline is at or before the entry time', () => {
  const s = storeWith(put('/a', '1', { ttl: 1 }));
  assert.equal(s.apply(SYNC, T0 + 1000), null);
  expectV2Error(() => s.get('/a', false, false, T0), ErrorCode.KeyNotFound);
});

test('sync leaves keys whose deadline is later', () => {
  const s = storeWith(put('/a', '1', { ttl: 2 }));
  s.apply(SYNC, T0 + 1999);
  assert.equal(s.get('/a', false, false, T0).node.value, '1');
  assert.equal(s.index, 1);
});

test('each expired key raises the store index by one and emits an expire event', () => {
  const s = storeWith(put('/a', '1', { ttl: 1 }));
  const w = collect(s, '/a', STREAM);
  s.apply(SYNC, T0 + 1000);
  assert.equal(s.index, 2);
  assert.equal(
    body(w.events[0]!),
    '{"action":"expire","node":{"key":"/a","modifiedIndex":2,"createdIndex":1},' +
      '"prevNode":{"key":"/a","value":"1","expiration":"2026-01-01T00:00:01Z","modifiedIndex":1,"createdIndex":1}}',
  );
});

test('keys expire soonest deadline first, then by key', () => {
  const s = storeWith(put('/c', '1', { ttl: 1 }), put('/b', '1', { ttl: 1 }), put('/a', '1', { ttl: 2 }));
  const w = collect(s, '/', { recursive: true, stream: true, sinceIndex: null });
  s.apply(SYNC, T0 + 5000);
  assert.deepEqual(
    w.events.map((e) => [e.node.key, e.node.modifiedIndex]),
    [
      ['/b', 4],
      ['/c', 5],
      ['/a', 6],
    ],
  );
});

test('an expired directory takes its children with it in one event', () => {
  const s = storeWith(putDir('/d', { ttl: 1 }), put('/d/k', '1', { ttl: 1 }), put('/d/j', '2'));
  s.apply(SYNC, T0 + 1000);
  assert.equal(s.index, 4);
  assert.equal(s.nodeCount, 0);
  assert.equal(s.nextExpiry(), null);
  assert.equal(s.stats().expireCount, 1);
});

test('ttl null on set makes a key permanent again', () => {
  const s = storeWith(put('/a', '1', { ttl: 1 }), put('/a', '2'));
  assert.equal(s.nextExpiry(), null);
  assert.equal(s.get('/a', false, false, T0).node.expiration, undefined);
});

test('update without a TTL clears the TTL, as etcd does', () => {
  const s = storeWith(put('/a', '1', { ttl: 10 }), put('/a', '2', { prevExist: true }));
  assert.equal(s.nextExpiry(), null);
});

test('compareAndSwap with a TTL moves the deadline', () => {
  const s = storeWith(put('/a', '1', { ttl: 10 }));
  s.apply(put('/a', '2', { prevValue: '1', ttl: 100 }), T0 + 1000);
  assert.equal(s.nextExpiry(), T0 + 101_000);
});

test('a TTL of 0 expires at the next sync and shows no ttl', () => {
  const s = new Store();
  const e = s.apply(put('/a', '1', { ttl: 0 }), T0);
  assert.equal(
    body(e),
    '{"action":"set","node":{"key":"/a","value":"1","expiration":"2026-01-01T00:00:00Z","modifiedIndex":1,"createdIndex":1}}',
  );
  s.apply(SYNC, T0);
  assert.equal(s.nodeCount, 0);
});

test('a created key whose deadline falls before the year 2000 is permanent, as in etcd', () => {
  const s = new Store();
  s.apply(put('/a', '1', { ttl: 5 }), 1000);
  assert.equal(s.nextExpiry(), null);
});

test('refresh resets the TTL and keeps the value', () => {
  const s = storeWith(put('/a', 'v', { ttl: 5 }));
  const e = s.apply(put('/a', '', { ttl: 50, refresh: true, prevExist: true }), T0 + 1000);
  assert.equal(e.action, 'update');
  assert.equal(e.node.value, 'v');
  assert.equal(s.nextExpiry(), T0 + 51_000);
});

test('refresh on a plain set recreates the key like etcd (new createdIndex)', () => {
  const s = storeWith(put('/a', 'v', { ttl: 5 }));
  const e = s.apply(put('/a', '', { ttl: 50, refresh: true }), T0);
  assert.equal(
    body(e).startsWith(
      '{"action":"set","node":{"key":"/a","value":"v","expiration":"2026-01-01T00:00:50Z","ttl":50,"modifiedIndex":2,"createdIndex":2}',
    ),
    true,
  );
});

test('refresh of a missing key fails with 100', () => {
  expectV2Error(() => new Store().apply(put('/a', '', { ttl: 5, refresh: true }), T0), ErrorCode.KeyNotFound, '/a');
});

test('refresh events raise the index but are not sent to watchers', () => {
  const s = storeWith(put('/a', 'v', { ttl: 5 }));
  const w = collect(s, '/a', STREAM);
  s.apply(put('/a', '', { ttl: 50, refresh: true, prevExist: true }), T0);
  s.apply(put('/a', '', { ttl: 50, refresh: true, prevValue: 'v' }), T0);
  assert.equal(w.events.length, 0);
  assert.equal(s.index, 3);
});

test('refresh events are skipped when a watcher replays the history', () => {
  const s = storeWith(put('/a', 'v', { ttl: 5 }), put('/a', '', { ttl: 50, refresh: true }), put('/a', 'w'));
  const w = collect(s, '/a', { recursive: false, stream: false, sinceIndex: 2 });
  assert.equal(w.events[0]!.node.modifiedIndex, 3);
});

test('a directory TTL can be set by update and removes the directory at sync', () => {
  const s = storeWith(put('/d/k', '1'), putDir('/d', { prevExist: true, ttl: 1 }));
  s.apply(SYNC, T0 + 1000);
  expectV2Error(() => s.get('/d/k', false, false, T0), ErrorCode.KeyNotFound, '/d');
});

test('deleting a key with a TTL takes it off the expiry schedule', () => {
  const s = storeWith(put('/a', '1', { ttl: 1 }), { op: 'delete', path: '/a', dir: false, recursive: false });
  assert.equal(s.nextExpiry(), null);
  s.apply(SYNC, T0 + 5000);
  assert.equal(s.index, 2);
});

test('a sync with nothing due changes nothing', () => {
  const s = storeWith(put('/a', '1'));
  assert.equal(s.apply(SYNC, T0 + 1e9), null);
  assert.equal(s.index, 1);
});

test('an absurd TTL neither throws nor expires', () => {
  const s = new Store();
  s.apply(put('/a', '1', { ttl: 1e300 }), T0);
  s.apply(put('/b', '1', { ttl: Number.NaN }), T0);
  s.apply(SYNC, T0 + 1e12);
  assert.equal(s.nodeCount, 2);
  assert.equal(typeof s.get('/a', false, false, T0).node.expiration, 'string');
});
