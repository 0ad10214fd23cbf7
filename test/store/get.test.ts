// GET: node shapes, directory listings, hidden keys, sorting, the root.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, Store } from '../../lib/store/index.js';
import { body, expectV2Error, put, putDir, storeWith, T0 } from './helpers.js';

test('get of a key answers its value and indexes with the current store index', () => {
  const s = storeWith(put('/a', '1'), put('/b', '2'));
  const e = s.get('/a', false, false, T0);
  assert.equal(body(e), '{"action":"get","node":{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}}');
  assert.equal(e.etcdIndex, 2);
});

test('get of a missing key fails with 100 carrying the store index', () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(() => s.get('/nope', false, false, T0), ErrorCode.KeyNotFound, '/nope', 1);
});

test('get below a key fails with 104 naming the key', () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(() => s.get('/a/b/c', false, false, T0), ErrorCode.NotDir, '/a');
});

test('get of a directory lists its direct children without their subtrees', () => {
  const s = storeWith(put('/d/k', '1'), put('/d/sub/x', '2'));
  assert.equal(
    body(s.get('/d', false, false, T0)),
    '{"action":"get","node":{"key":"/d","dir":true,"nodes":[' +
      '{"key":"/d/k","value":"1","modifiedIndex":1,"createdIndex":1},' +
      '{"key":"/d/sub","dir":true,"modifiedIndex":2,"createdIndex":2}],"modifiedIndex":1,"createdIndex":1}}',
  );
});

test('recursive get lists the whole subtree', () => {
  const s = storeWith(put('/d/sub/x', '2'));
  assert.equal(
    body(s.get('/d', true, false, T0)),
    '{"action":"get","node":{"key":"/d","dir":true,"nodes":[' +
      '{"key":"/d/sub","dir":true,"nodes":[{"key":"/d/sub/x","value":"2","modifiedIndex":1,"createdIndex":1}],"modifiedIndex":1,"createdIndex":1}' +
      '],"modifiedIndex":1,"createdIndex":1}}',
  );
});

test('an empty directory is shown without nodes', () => {
  const s = storeWith(putDir('/d'));
  assert.equal(
    body(s.get('/d', true, false, T0)),
    '{"action":"get","node":{"key":"/d","dir":true,"modifiedIndex":1,"createdIndex":1}}',
  );
});

test('unsorted listings keep the order the children were created in', () => {
  const s = storeWith(put('/d/b', '1'), put('/d/a', '2'), put('/d/c', '3'));
  assert.deepEqual(
    s.get('/d', false, false, T0).node.nodes!.map((n) => n.key),
    ['/d/b', '/d/a', '/d/c'],
  );
});

test('sorted listings order every level by key', () => {
  const s = storeWith(put('/d/b/y', '1'), put('/d/b/x', '1'), put('/d/a', '2'));
  const root = s.get('/d', true, true, T0).node;
  assert.deepEqual(
    root.nodes!.map((n) => n.key),
    ['/d/a', '/d/b'],
  );
  assert.deepEqual(
    root.nodes![1]!.nodes!.map((n) => n.key),
    ['/d/b/x', '/d/b/y'],
  );
});

test('sorting compares keys as Go does, by UTF-8 bytes', () => {
  const s = storeWith(put('/d/\u{1F600}', '1'), put('/d/\uFF21', '2'), put('/d/z', '3'));
  assert.deepEqual(
    s.get('/d', false, true, T0).node.nodes!.map((n) => n.key),
    ['/d/z', '/d/\uFF21', '/d/\u{1F600}'],
  );
});

test('hidden keys are left out of listings', () => {
  const s = storeWith(put('/d/_h', '1'), put('/d/v', '2'), put('/d/_hd/x', '3'));
  assert.deepEqual(
    s.get('/d', true, false, T0).node.nodes!.map((n) => n.key),
    ['/d/v'],
  );
});

test('a directory whose children are all hidden is listed without nodes', () => {
  const s = storeWith(put('/d/_h', '1'));
  assert.equal(s.get('/d', false, false, T0).node.nodes, undefined);
});

test('hidden keys can be read directly', () => {
  const s = storeWith(put('/d/_h', '1'));
  assert.equal(s.get('/d/_h', false, false, T0).node.value, '1');
});

test('a hidden directory lists its own children when read directly', () => {
  const s = storeWith(put('/_d/k', '1'));
  assert.deepEqual(
    s.get('/_d', false, false, T0).node.nodes!.map((n) => n.key),
    ['/_d/k'],
  );
});

test('the root has key "/", index 0 and lists the top level', () => {
  const s = storeWith(put('/a', '1'));
  assert.equal(
    body(s.get('/', false, false, T0)),
    '{"action":"get","node":{"key":"/","dir":true,"nodes":[{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}],"modifiedIndex":0,"createdIndex":0}}',
  );
});

test('get of an empty path reads the root', () => {
  assert.equal(new Store().get('', false, false, T0).node.key, '/');
});

test('a key with a TTL shows its expiration and the seconds left, rounded up', () => {
  const s = storeWith(put('/a', '1', { ttl: 10 }));
  assert.equal(
    body(s.get('/a', false, false, T0 + 2500)),
    '{"action":"get","node":{"key":"/a","value":"1","expiration":"2026-01-01T00:00:10Z","ttl":8,"modifiedIndex":1,"createdIndex":1}}',
  );
});

test('the ttl shown is omitted when it is 0 and negative once overdue', () => {
  const s = storeWith(put('/a', '1', { ttl: 1 }));
  assert.equal(s.get('/a', false, false, T0 + 1500).node.ttl, undefined);
  assert.equal(s.get('/a', false, false, T0 + 3500).node.ttl, -2);
});

test('expiration keeps the milliseconds without trailing zeros, as Go prints it', () => {
  const s = new Store();
  s.apply(put('/a', '1', { ttl: 5 }), T0 + 120);
  assert.equal(s.get('/a', false, false, T0).node.expiration, '2026-01-01T00:00:05.12Z');
});

test('keys inside a listing show their TTLs', () => {
  const s = storeWith(put('/d/a', '1', { ttl: 3 }));
  assert.equal(s.get('/d', false, false, T0).node.nodes![0]!.ttl, 3);
});

test('get never changes the store index', () => {
  const s = storeWith(put('/a', '1'));
  s.get('/a', true, true, T0);
  assert.equal(s.index, 1);
});

test('nodeCount counts keys and directories but not the root', () => {
  const s = storeWith(put('/a/b/c', '1'), put('/a/d', '2'), putDir('/e'));
  assert.equal(s.nodeCount, 5);
});
