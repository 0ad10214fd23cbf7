// /v2/stats/store counters, counted as etcd 3.4 counts them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Store } from '../../lib/store/index.js';
import { collect, del, post, put, STREAM, SYNC, storeWith, T0 } from './helpers.js';

function attempt(f: () => unknown): void {
  try {
    f();
  } catch {
    // failures are what some of these tests count
  }
}

test("stats has etcd's fields in etcd's order, all zero at first", () => {
  assert.deepEqual(Object.entries(new Store().stats()), [
    ['getsSuccess', 0],
    ['getsFail', 0],
    ['setsSuccess', 0],
    ['setsFail', 0],
    ['deleteSuccess', 0],
    ['deleteFail', 0],
    ['updateSuccess', 0],
    ['updateFail', 0],
    ['createSuccess', 0],
    ['createFail', 0],
    ['compareAndSwapSuccess', 0],
    ['compareAndSwapFail', 0],
    ['compareAndDeleteSuccess', 0],
    ['compareAndDeleteFail', 0],
    ['expireCount', 0],
    ['watchers', 0],
  ]);
});

test('each action counts its successes and failures', () => {
  const s = new Store();
  s.apply(put('/a', '1'), T0);
  attempt(() => s.apply(put('/a/b', '1'), T0));
  s.apply(put('/a', '2', { prevExist: true }), T0);
  attempt(() => s.apply(put('/z', '2', { prevExist: true }), T0));
  s.apply(put('/a', '3', { prevValue: '2' }), T0);
  attempt(() => s.apply(put('/a', '3', { prevValue: 'x' }), T0));
  s.apply(del('/a', { prevValue: '3' }), T0);
  attempt(() => s.apply(del('/a', { prevValue: '3' }), T0));
  s.apply(post('/q', 'v'), T0);
  s.apply(del('/q', { recursive: true }), T0);
  attempt(() => s.apply(del('/q'), T0));
  s.get('/', false, false, T0);
  attempt(() => s.get('/nope', false, false, T0));
  const st = s.stats();
  assert.deepEqual(
    [st.setsSuccess, st.setsFail, st.updateSuccess, st.updateFail, st.compareAndSwapSuccess, st.compareAndSwapFail],
    [1, 1, 1, 1, 1, 1],
  );
  assert.deepEqual(
    [st.compareAndDeleteSuccess, st.compareAndDeleteFail, st.createSuccess, st.deleteSuccess, st.deleteFail],
    [1, 1, 1, 1, 1],
  );
  assert.deepEqual([st.getsSuccess, st.getsFail], [1, 1]);
});

test('a create that fails on a key in its path also counts as a failed set, as in etcd', () => {
  const s = storeWith(put('/f', '1'));
  attempt(() => s.apply(put('/f/x', '1', { prevExist: false }), T0));
  attempt(() => s.apply(post('/f', '1'), T0));
  const st = s.stats();
  assert.deepEqual([st.createFail, st.setsFail], [2, 2]);
});

test('expireCount counts expired nodes', () => {
  const s = storeWith(put('/a', '1', { ttl: 1 }), put('/b', '1', { ttl: 1 }));
  s.apply(SYNC, T0 + 1000);
  assert.equal(s.stats().expireCount, 2);
});

test('watchers counts the registered watchers', () => {
  const s = new Store();
  collect(s, '/a', STREAM);
  collect(s, '/a', STREAM);
  assert.equal(s.stats().watchers, 2);
});
