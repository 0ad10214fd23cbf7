// POST: in-order keys named after the store index.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, Store } from '../../lib/store/index.js';
import { body, expectV2Error, post, put, storeWith, T0 } from './helpers.js';

test('post creates a key named with the new index zero-padded to 20 digits', () => {
  const s = storeWith(put('/x', '1'));
  assert.equal(
    body(s.apply(post('/q', 'job'), T0)),
    '{"action":"create","node":{"key":"/q/00000000000000000002","value":"job","modifiedIndex":2,"createdIndex":2}}',
  );
});

test('posted keys list in creation order when sorted', () => {
  const s = new Store();
  for (let i = 0; i < 12; i++) s.apply(post('/q', String(i)), T0);
  assert.deepEqual(
    s.get('/q', false, true, T0).node.nodes!.map((n) => n.value),
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11'],
  );
});

test('post with dir creates an in-order directory', () => {
  assert.equal(new Store().apply(post('/q', '', { dir: true }), T0).node.dir, true);
});

test('post with a TTL gives the new key that TTL', () => {
  const e = new Store().apply(post('/q', 'v', { ttl: 9 }), T0);
  assert.equal(e.node.ttl, 9);
});

test('post under a key fails with 104', () => {
  const s = storeWith(put('/f', '1'));
  expectV2Error(() => s.apply(post('/f', 'v'), T0), ErrorCode.NotDir, '/f', 1);
});

test('post to the root creates a top-level in-order key', () => {
  assert.equal(new Store().apply(post('/', 'v'), T0).node.key, '/00000000000000000001');
});
