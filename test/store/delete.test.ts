// DELETE as etcd 3.4 applies it: delete (dir, recursive) and compareAndDelete.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, Store } from '../../lib/store/index.js';
import { body, del, expectV2Error, put, putDir, storeWith, T0 } from './helpers.js';

test('delete of a key answers a node without value and the old node as prevNode', () => {
  const s = storeWith(put('/a', '1'));
  const e = s.apply(del('/a'), T0);
  assert.equal(
    body(e),
    '{"action":"delete","node":{"key":"/a","modifiedIndex":2,"createdIndex":1},' +
      '"prevNode":{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}}',
  );
  expectV2Error(() => s.get('/a', false, false, T0), ErrorCode.KeyNotFound, '/a', 2);
});

test('delete of a missing key fails with 100', () => {
  expectV2Error(() => new Store().apply(del('/a/b'), T0), ErrorCode.KeyNotFound, '/a', 0);
});

test('delete of a key with dir=true deletes it', () => {
  const s = storeWith(put('/a', '1'));
  assert.equal(s.apply(del('/a', { dir: true }), T0).action, 'delete');
});

test('delete of a directory without dir or recursive fails with 102', () => {
  const s = storeWith(putDir('/d'));
  expectV2Error(() => s.apply(del('/d'), T0), ErrorCode.NotFile, '/d');
});

test('delete of an empty directory with dir=true marks the node dir', () => {
  const s = storeWith(putDir('/d'));
  assert.equal(
    body(s.apply(del('/d', { dir: true }), T0)),
    '{"action":"delete","node":{"key":"/d","dir":true,"modifiedIndex":2,"createdIndex":1},' +
      '"prevNode":{"key":"/d","dir":true,"modifiedIndex":1,"createdIndex":1}}',
  );
});

test('delete of a non-empty directory with dir=true fails with 108', () => {
  const s = storeWith(put('/d/k', '1'));
  expectV2Error(() => s.apply(del('/d', { dir: true }), T0), ErrorCode.DirNotEmpty, '/d');
});

test('recursive delete removes the whole subtree', () => {
  const s = storeWith(put('/d/a/b', '1'), put('/d/c', '2'), put('/e', '3'));
  s.apply(del('/d', { recursive: true }), T0);
  expectV2Error(() => s.get('/d/a/b', false, false, T0), ErrorCode.KeyNotFound, '/d');
  assert.equal(s.nodeCount, 1);
});

test('recursive implies dir', () => {
  const s = storeWith(put('/d/k', '1'));
  assert.equal(s.apply(del('/d', { dir: false, recursive: true }), T0).node.dir, true);
});

test('delete of the root fails with 107', () => {
  expectV2Error(() => new Store().apply(del('/', { recursive: true }), T0), ErrorCode.RootReadOnly, '/');
});

test('compareAndDelete with a matching prevValue deletes the key', () => {
  const s = storeWith(put('/a', '1'));
  assert.equal(
    body(s.apply(del('/a', { prevValue: '1' }), T0)),
    '{"action":"compareAndDelete","node":{"key":"/a","modifiedIndex":2,"createdIndex":1},' +
      '"prevNode":{"key":"/a","value":"1","modifiedIndex":1,"createdIndex":1}}',
  );
});

test('compareAndDelete with a matching prevIndex deletes the key', () => {
  const s = storeWith(put('/a', '1'));
  assert.equal(s.apply(del('/a', { prevIndex: 1n }), T0).action, 'compareAndDelete');
});

test('compareAndDelete with a wrong prevValue fails with 101', () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(() => s.apply(del('/a', { prevValue: '2' }), T0), ErrorCode.TestFailed, '[2 != 1]', 1);
});

test('compareAndDelete with a wrong prevIndex fails with 101', () => {
  const s = storeWith(put('/a', '1'));
  expectV2Error(() => s.apply(del('/a', { prevIndex: 5n }), T0), ErrorCode.TestFailed, '[5 != 1]');
});

test('compareAndDelete of a missing key fails with 100', () => {
  expectV2Error(() => new Store().apply(del('/a', { prevValue: '1' }), T0), ErrorCode.KeyNotFound, '/a');
});

test('compareAndDelete of a directory fails with 102, even with recursive', () => {
  const s = storeWith(put('/d/k', '1'));
  expectV2Error(() => s.apply(del('/d', { prevValue: '1', recursive: true }), T0), ErrorCode.NotFile, '/d');
});

test('compareAndDelete of the root fails with 102 and an empty cause, as etcd answers', () => {
  expectV2Error(() => new Store().apply(del('/', { prevValue: '1' }), T0), ErrorCode.NotFile, '');
});
