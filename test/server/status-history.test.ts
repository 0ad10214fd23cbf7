import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  histogramQuantile,
  StatusHistory,
  type FsyncHistogram,
  type StatusReading,
} from '../../lib/server/status-history.js';

const T0 = 1_800_000_000_000;
const BOUNDS = [0.001, 0.002, 0.004, Infinity];
const hist = (cumulative: number[], sumSeconds: number): FsyncHistogram => ({ bounds: BOUNDS, cumulative, sumSeconds });

function reading(at: number, over: Partial<StatusReading> = {}): StatusReading {
  return {
    at,
    term: 2,
    commit: 10,
    applied: 10,
    leader: 'L',
    reads: 0,
    writes: 0,
    fsync: hist([0, 0, 0, 0], 0),
    ...over,
  };
}

test('reads and writes per second come from the growth of the counters between samples', () => {
  const h = new StatusHistory(10);
  h.add(reading(T0, { reads: 100, writes: 5 }));
  h.add(reading(T0 + 1000, { reads: 130, writes: 7 }));
  h.add(reading(T0 + 3000, { reads: 150, writes: 7 }));
  const s = h.since(0);
  assert.deepEqual(
    s.map((x) => x.readsPerSecond),
    [null, 30, 10],
  );
  assert.deepEqual(
    s.map((x) => x.writesPerSecond),
    [null, 2, 0],
  );
});

test('a counter that went backwards (the tree was replaced) gives no rate rather than a negative one', () => {
  const h = new StatusHistory(10);
  h.add(reading(T0, { reads: 100 }));
  h.add(reading(T0 + 1000, { reads: 3 }));
  assert.equal(h.latest()!.readsPerSecond, null);
});

test('fsync count, mean and p99 per second come from the histogram growth', () => {
  const h = new StatusHistory(10);
  h.add(reading(T0, { fsync: hist([1, 1, 1, 1], 0.0005) }));
  // 3 more fsyncs: two under 1 ms, one between 2 and 4 ms; 6 ms in all
  h.add(reading(T0 + 1000, { fsync: hist([3, 3, 4, 4], 0.0065) }));
  const s = h.latest()!;
  assert.equal(s.fsyncs, 3);
  assert.ok(Math.abs(s.fsyncMeanMs! - 2) < 1e-9);
  assert.ok(s.fsyncP99Ms! > 2 && s.fsyncP99Ms! <= 4, String(s.fsyncP99Ms));
  const over = h.fsyncOver(60);
  assert.equal(over.count, 3);
});

test('histogramQuantile interpolates inside the bucket, as Prometheus does', () => {
  assert.equal(histogramQuantile(0.5, [1, 2, Infinity], [0, 10, 0]), 1.5);
  assert.equal(histogramQuantile(0.99, [1, 2, Infinity], [0, 0, 5]), 2);
  assert.equal(histogramQuantile(0.5, [1, 2, Infinity], [0, 0, 0]), null);
});

test('samples are kept up to the limit, oldest dropped first; since() gives the newer ones', () => {
  const h = new StatusHistory(3);
  for (let i = 0; i < 5; i++) h.add(reading(T0 + i * 1000, { commit: i }));
  assert.deepEqual(
    h.since(0).map((s) => s.commit),
    [2, 3, 4],
  );
  assert.deepEqual(
    h.since(T0 / 1000 + 3).map((s) => s.commit),
    [4],
  );
});

test('two readings in one second keep the first', () => {
  const h = new StatusHistory(3);
  h.add(reading(T0 + 100, { commit: 1 }));
  h.add(reading(T0 + 900, { commit: 2 }));
  assert.deepEqual(
    h.since(0).map((s) => s.commit),
    [1],
  );
});

test('leader changes are recorded when the followed leader changes, including its loss', () => {
  const h = new StatusHistory(10);
  h.add(reading(T0, { leader: 'A', term: 2 }));
  h.add(reading(T0 + 1000, { leader: 'A', term: 2 }));
  h.add(reading(T0 + 2000, { leader: '', term: 3 }));
  h.add(reading(T0 + 3000, { leader: 'B', term: 3 }));
  assert.deepEqual(h.leaderChanges(), [
    { t: T0 / 1000, leader: 'A', term: 2 },
    { t: T0 / 1000 + 2, leader: '', term: 3 },
    { t: T0 / 1000 + 3, leader: 'B', term: 3 },
  ]);
});
