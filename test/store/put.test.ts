// PUT as etcd 3.4 applies it: set, create (prevExist=false), update
// (prevExist=true), compareAndSwap (prevValue/prevIndex), directories.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, Store } from '../../lib/store/index.js';
import { body, expectV2Error, put, putDir, storeWith, T0 } from './helpers.js';

test('set on a new key creates it with created and modified index equal to the new store index', () => {
  const s = new Store();
  const e = s.apply(put('/a', '1'), T0);
  assert.equal(body(e), '{"action":"set","node":{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}}');
  assert.equal(e.etcdIndex, 1);
  assert.equal(s.index, 1);
});

test('set over an existing key replaces it and carries the old node as prevNode', () => {
  const s = storeWith(put('/a', '1'));
  const e = s.apply(put('/a', '2'), T0);
  assert.equal(
    body(e),
    '{"action":"set","node":{"key":"/a","value":"2","modifiedIndex":2,"createdIndex":2},' +
      '"prevNode":{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}}',
  );
});

test('set creates missing parent directories at the new index', () => {
  const s = new Store();
  s.apply(put('/x/y/z', 'v'), T0);
  assert.equal(
    body(s.get('/x', false, false, T0)),
    '{"action":"get","node":{"key":"/x","dir":true,"nodes":[{"key":"/x/y","dir":true,"modifiedIndex":1,"createdIndex":1}],"modifiedIndex":1,"createdIndex":1}}',
  );
});

test('set of a key under a key fails with 104 naming the key in the way', () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(() => s.apply(put('/a/b/c', '2'), T0), ErrorCode.NotDir, '/a', 1);
});

test('set of a key over a directory fails with 102', () => {
  const s = storeWith(put('/d/k', '1'));
  expectV2Error(() => s.apply(put('/d', '2'), T0), ErrorCode.NotFile, '/d', 1);
});

test('set of a directory over a directory fails with 102', () => {
  const s = storeWith(putDir('/d'));
  expectV2Error(() => s.apply(putDir('/d'), T0), ErrorCode.NotFile, '/d');
});

test('set of a directory over a key replaces the key', () => {
  const s = storeWith(put('/a', '1'));
  const e = s.apply(putDir('/a'), T0);
  assert.equal(
    body(e),
    '{"action":"set","node":{"key":"/a","dir":true,"modifiedIndex":2,"createdIndex":2},' +
      '"prevNode":{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}}',
  );
});

test('set on the root fails with 107', () => {
  expectV2Error(() => new Store().apply(put('/', 'x'), T0), ErrorCode.RootReadOnly, '/', 0);
});

test('a failed mutation leaves the store index unchanged', () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(() => s.apply(put('/a/b', 'x'), T0), ErrorCode.NotDir);
  assert.equal(s.index, 1);
});

test('create of a new key answers action create', () => {
  const e = new Store().apply(put('/a', '1', { prevExist: false }), T0);
  assert.equal(body(e), '{"action":"create","node":{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}}');
});

test('create of an existing key fails with 105 naming it', () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(() => s.apply(put('/a', '2', { prevExist: false }), T0), ErrorCode.NodeExist, '/a', 1);
});

test('create of a directory makes an empty directory', () => {
  const e = new Store().apply(putDir('/d', { prevExist: false }), T0);
  assert.equal(body(e), '{"action":"create","node":{"key":"/d","dir":true,"modifiedIndex":1,"createdIndex":1}}');
});

test('create ignores prevValue, as etcd does with prevExist=false', () => {
  const e = new Store().apply(put('/a', '1', { prevExist: false, prevValue: 'zzz' }), T0);
  assert.equal(e.action, 'create');
});

test('update of an existing key keeps createdIndex and reports prevNode', () => {
  const s = storeWith(put('/a', '1'));
  const e = s.apply(put('/a', '2', { prevExist: true }), T0);
  assert.equal(
    body(e),
    '{"action":"update","node":{"key":"/a","value":"2","modifiedIndex":2,"createdIndex":1},' +
      '"prevNode":{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}}',
  );
});

test('update of a missing key fails with 100 naming the first missing segment', () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(() => s.apply(put('/b/c', '2', { prevExist: true }), T0), ErrorCode.KeyNotFound, '/b', 1);
});

test('update of a directory with a value fails with 102', () => {
  const s = storeWith(putDir('/d'));
  expectV2Error(() => s.apply(put('/d', 'v', { prevExist: true }), T0), ErrorCode.NotFile, '/d');
});

test('update of a directory sets its TTL but, as in etcd, not its modifiedIndex', () => {
  const s = storeWith(putDir('/d'));
  const e = s.apply(putDir('/d', { prevExist: true, ttl: 100 }), T0);
  assert.equal(
    body(e),
    '{"action":"update","node":{"key":"/d","dir":true,"expiration":"2026-01-01T00:01:40Z","ttl":100,"modifiedIndex":2,"createdIndex":1},' +
      '"prevNode":{"key":"/d","dir":true,"modifiedIndex":1,"createdIndex":1}}',
  );
  assert.equal(
    body(s.get('/d', false, false, T0)),
    '{"action":"get","node":{"key":"/d","dir":true,"expiration":"2026-01-01T00:01:40Z","ttl":100,"modifiedIndex":1,"createdIndex":1}}',
  );
  assert.equal(s.index, 2);
});

test('update of the root fails with 107', () => {
  expectV2Error(() => new Store().apply(put('/', 'x', { prevExist: true }), T0), ErrorCode.RootReadOnly, '/');
});

test('compareAndSwap with a matching prevValue swaps the value', () => {
  const s = storeWith(put('/a', '1'));
  const e = s.apply(put('/a', '2', { prevValue: '1' }), T0);
  assert.equal(
    body(e),
    '{"action":"compareAndSwap","node":{"key":"/a","value":"2","modifiedIndex":2,"createdIndex":1},' +
      '"prevNode":{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}}',
  );
});

test('compareAndSwap with a matching prevIndex swaps the value', () => {
  const s = storeWith(put('/a', '1'));
  assert.equal(s.apply(put('/a', '2', { prevIndex: 1n }), T0).action, 'compareAndSwap');
});

test("compareAndSwap with a wrong prevValue fails with 101 and etcd's value cause", () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(() => s.apply(put('/a', '2', { prevValue: 'x' }), T0), ErrorCode.TestFailed, '[x != 1]', 1);
});

test("compareAndSwap with a wrong prevIndex fails with 101 and etcd's index cause", () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(() => s.apply(put('/a', '2', { prevIndex: 7n }), T0), ErrorCode.TestFailed, '[7 != 1]');
});

test('compareAndSwap with both wrong names both in the cause', () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(
    () => s.apply(put('/a', '2', { prevValue: 'x', prevIndex: 7n }), T0),
    ErrorCode.TestFailed,
    '[x != 1] [7 != 1]',
  );
});

test('compareAndSwap needs both conditions to hold', () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(() => s.apply(put('/a', '2', { prevValue: '1', prevIndex: 7n }), T0), ErrorCode.TestFailed, '[7 != 1]');
});

test('compareAndSwap with prevExist=true and a prevValue is a compareAndSwap', () => {
  const s = storeWith(put('/a', '1'));
  assert.equal(s.apply(put('/a', '2', { prevExist: true, prevValue: '1' }), T0).action, 'compareAndSwap');
});

test('compareAndSwap on a missing key fails with 100', () => {
  expectV2Error(() => new Store().apply(put('/a', '2', { prevValue: '1' }), T0), ErrorCode.KeyNotFound, '/a');
});

test('compareAndSwap on a directory fails with 102', () => {
  const s = storeWith(putDir('/d'));
  expectV2Error(() => s.apply(put('/d', '2', { prevValue: '1' }), T0), ErrorCode.NotFile, '/d');
});

test('compareAndSwap on the root fails with 107', () => {
  expectV2Error(() => new Store().apply(put('/', '2', { prevValue: '1' }), T0), ErrorCode.RootReadOnly, '/');
});

test('an empty prevValue and a zero prevIndex are no condition: the put is a plain set', () => {
  const s = storeWith(put('/a', '1'));
  assert.equal(s.apply(put('/a', '2', { prevValue: '', prevIndex: 0n }), T0).action, 'set');
});

test('paths are cleaned like Go path.Clean before use', () => {
  const s = new Store();
  assert.equal(s.apply(put('a//b/./c/../d/', 'v'), T0).node.key, '/a/b/d');
  assert.equal(s.get('/a/b/d', false, false, T0).node.value, 'v');
});

test('a path of only dots and slashes is the root', () => {
  expectV2Error(() => new Store().apply(put('/.././/', 'x'), T0), ErrorCode.RootReadOnly, '/');
});
