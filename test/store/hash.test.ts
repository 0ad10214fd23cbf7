// The tree hash: equal trees hash alike, any difference in a key, value, TTL
// deadline or index shows, and the digests name the first differing key.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Store, V2Error, type StoreRequest } from '../../lib/store/index.js';

const T = Date.parse('2026-01-01T00:00:00Z');
const put = (path: string, value: string, ttl: number | null = null): StoreRequest => ({
  op: 'put',
  path,
  value,
  dir: false,
  ttl,
  refresh: false,
});

function storeWith(reqs: StoreRequest[]): Store {
  const s = new Store();
  for (const r of reqs) {
    try {
      s.apply(r, T);
    } catch (err) {
      if (!(err instanceof V2Error)) throw err;
    }
  }
  return s;
}

const dirD: StoreRequest = { op: 'put', path: '/d', value: '', dir: true, ttl: null, refresh: false };
const base = [
  put('/a/b', '1'),
  put('/a/_hidden', '2'),
  put('/c', '3', 60),
  { op: 'put', path: '/d', value: '', dir: true, ttl: null, refresh: false } as StoreRequest,
];

describe('Store.hash', () => {
  it('is the same for the same requests, and for the tree restored from a snapshot', () => {
    const a = storeWith(base);
    assert.equal(storeWith(base).hash(), a.hash());
    assert.equal(Store.restore(a.snapshot()).hash(), a.hash());
    assert.match(a.hash(), /^[0-9a-f]{64}$/);
  });

  it('ignores failed requests, which change counters but not the tree', () => {
    assert.equal(
      storeWith([...base, { op: 'delete', path: '/nope', dir: false, recursive: false }]).hash(),
      storeWith(base).hash(),
    );
  });

  it('changes with a value, a TTL deadline or an index', () => {
    const h = storeWith(base).hash();
    assert.notEqual(storeWith([...base.slice(0, 2), put('/c', '4', 60), dirD]).hash(), h);
    assert.notEqual(storeWith([...base.slice(0, 2), put('/c', '3', 61), dirD]).hash(), h);
    const again = storeWith(base);
    again.apply(put('/a/b', '1'), T); // same value, new modifiedIndex
    assert.notEqual(again.hash(), h);
  });

  it('changes when a value is corrupted in place, and the digests name that key first', () => {
    const good = storeWith(base);
    const bad = storeWith(base);
    assert.equal(bad.corruptForTest('/a/_hidden', 'flipped'), true);
    assert.notEqual(bad.hash(), good.hash());
    const dg = good.digests(0, 100).digests;
    const db = bad.digests(0, 100).digests;
    const first = dg.findIndex((d, i) => d[1] !== db[i]?.[1]);
    assert.equal(dg[first]?.[0], '/a/_hidden');
  });

  it('pages its digests in key order', () => {
    const s = storeWith(base);
    const all = s.digests(0, 100);
    assert.deepEqual(
      all.digests.map((d) => d[0]),
      ['/a', '/a/_hidden', '/a/b', '/c', '/d'],
    );
    assert.equal(all.more, false);
    const page = s.digests(2, 2);
    assert.deepEqual(
      page.digests.map((d) => d[0]),
      ['/a/b', '/c'],
    );
    assert.equal(page.more, true);
  });
});
