// The cache of GET bodies never answers with an old node: whatever changed
// the key (a write, a delete and re-create, a TTL, a directory in its place,
// a value changed under the same index), the next GET shows the tree as it
// is, over HTTP with a current X-Etcd-Index too.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetBodyCache } from '../../lib/api/get-body-cache.js';
import { eventJson } from '../../lib/api/json-out.js';
import { Store, type StoreRequest } from '../../lib/store/index.js';
import { startApi, type Client, type Harness } from './support/clients.js';

const T0 = Date.UTC(2026, 0, 1);

function put(path: string, value: string, ttl: number | null = null): StoreRequest {
  return { op: 'put', path, value, dir: false, ttl, refresh: false };
}

function del(path: string): StoreRequest {
  return { op: 'delete', path, dir: false, recursive: false };
}

function get(store: Store, cache: GetBodyCache, path: string, now = T0): string {
  return cache.body(store.get(path, false, false, now));
}

function expected(store: Store, path: string, now = T0): string {
  return eventJson(store.get(path, false, false, now));
}

describe('GET body cache', () => {
  it('gives the body eventJson writes for a plain key, first and again', () => {
    const store = new Store();
    const cache = new GetBodyCache();
    store.apply(put('/a', 'one'), T0);
    const first = get(store, cache, '/a');
    assert.equal(first, expected(store, '/a'));
    assert.equal(get(store, cache, '/a'), first);
    assert.equal(cache.size, 1);
  });

  it('gives the new value after a set', () => {
    const store = new Store();
    const cache = new GetBodyCache();
    store.apply(put('/a', 'one'), T0);
    get(store, cache, '/a');
    store.apply(put('/a', 'two'), T0);
    assert.equal(get(store, cache, '/a'), expected(store, '/a'));
    assert.match(get(store, cache, '/a'), /"value":"two"/);
  });

  it('gives a key deleted and created again with the same value its new indexes', () => {
    const store = new Store();
    const cache = new GetBodyCache();
    store.apply(put('/a', 'same'), T0);
    const before = get(store, cache, '/a');
    store.apply(del('/a'), T0);
    store.apply(put('/a', 'same'), T0);
    const afterwards = get(store, cache, '/a');
    assert.notEqual(afterwards, before);
    assert.equal(afterwards, expected(store, '/a'));
  });

  it('gives a value changed under the same index (the corruption hook) as it is now', () => {
    const store = new Store();
    const cache = new GetBodyCache();
    store.apply(put('/a', 'one'), T0);
    get(store, cache, '/a');
    store.corruptForTest('/a', 'other');
    assert.match(get(store, cache, '/a'), /"value":"other"/);
  });

  it('shows a key with a TTL with the seconds left at each read, and keeps no body for it', () => {
    const store = new Store();
    const cache = new GetBodyCache();
    store.apply(put('/t', 'v', 100), T0);
    assert.match(get(store, cache, '/t', T0), /"ttl":100,/);
    assert.match(get(store, cache, '/t', T0 + 50_000), /"ttl":50,/);
    assert.equal(cache.size, 0);
  });

  it('gives a TTL set on a cached key, and the key without it once refreshed away', () => {
    const store = new Store();
    const cache = new GetBodyCache();
    store.apply(put('/a', 'v'), T0);
    get(store, cache, '/a');
    store.apply(put('/a', 'v', 30), T0);
    assert.equal(get(store, cache, '/a'), expected(store, '/a'));
    assert.match(get(store, cache, '/a'), /"ttl":30,/);
  });

  it('gives a directory listing, not the key that was there before', () => {
    const store = new Store();
    const cache = new GetBodyCache();
    store.apply(put('/d', 'key'), T0);
    get(store, cache, '/d');
    store.apply(del('/d'), T0);
    store.apply(put('/d/child', 'c'), T0);
    assert.equal(get(store, cache, '/d'), expected(store, '/d'));
    assert.match(get(store, cache, '/d'), /"dir":true/);
  });

  it('keeps no more than its budget, dropping the oldest bodies first', () => {
    const store = new Store();
    const cache = new GetBodyCache(2000);
    for (let i = 0; i < 100; i++) store.apply(put(`/k${i}`, 'x'.repeat(100)), T0);
    for (let i = 0; i < 100; i++) get(store, cache, `/k${i}`);
    // Each entry holds about 100 chars of value and 180 of body.
    assert.ok(cache.size > 0 && cache.size <= 2000 / 280, `size ${cache.size}`);
    assert.equal(get(store, cache, '/k99'), expected(store, '/k99'));
  });
});

describe('GET over HTTP after changes', () => {
  let h: Harness;
  let c: Client;
  before(async () => {
    h = await startApi();
    c = h.client('http1');
  });
  after(() => h.close());

  async function read(path: string): Promise<{ status: number; body: string; index: string | undefined }> {
    const r = await c.request({ method: 'GET', path: `/v2/keys${path}` });
    return { status: r.status, body: r.body, index: r.headers['x-etcd-index'] };
  }

  it('answers a GET after a set with the new node and the current X-Etcd-Index', async () => {
    await c.request({ method: 'PUT', path: '/v2/keys/h/set', body: 'value=one' });
    await read('/h/set');
    await c.request({ method: 'PUT', path: '/v2/keys/h/set', body: 'value=two' });
    const index = h.service.store.index;
    const r = await read('/h/set');
    assert.equal(
      r.body,
      `{"action":"get","node":{"key":"/h/set","value":"two","modifiedIndex":${index},"createdIndex":${index}}}\n`,
    );
    assert.equal(r.index, String(index));
  });

  it('answers a GET after a delete with 100 Key not found', async () => {
    await c.request({ method: 'PUT', path: '/v2/keys/h/del', body: 'value=one' });
    await read('/h/del');
    await c.request({ method: 'DELETE', path: '/v2/keys/h/del' });
    const r = await read('/h/del');
    assert.equal(r.status, 404);
    assert.match(r.body, /"errorCode":100/);
    assert.equal(r.index, String(h.service.store.index));
  });

  it('answers a GET after the key expired with 100 Key not found', async () => {
    await c.request({ method: 'PUT', path: '/v2/keys/h/ttl', body: 'value=one&ttl=5' });
    await read('/h/ttl');
    h.service.store.apply({ op: 'sync' }, Date.now() + 10_000);
    const r = await read('/h/ttl');
    assert.equal(r.status, 404);
    assert.equal(r.index, String(h.service.store.index));
  });

  it('carries the current X-Etcd-Index on an unchanged key after writes elsewhere', async () => {
    await c.request({ method: 'PUT', path: '/v2/keys/h/still', body: 'value=v' });
    const first = await read('/h/still');
    await c.request({ method: 'PUT', path: '/v2/keys/h/elsewhere', body: 'value=w' });
    const second = await read('/h/still');
    assert.equal(second.body, first.body);
    assert.equal(second.index, String(h.service.store.index));
    assert.notEqual(second.index, first.index);
  });
});
