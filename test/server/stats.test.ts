import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goDuration, goTime, LatencyStats, RateCounter } from '../../lib/server/stats.js';

test('uptimes print as Go durations, as etcd prints them', () => {
  assert.equal(goDuration(212_338.676126), '3m32.338676126s');
  assert.equal(goDuration(1500), '1.5s');
  assert.equal(goDuration(3_600_000), '1h0m0s');
  assert.equal(goDuration(12.5), '12.5ms');
  assert.equal(goDuration(0), '0s');
});

test('times print as RFC 3339 UTC with trailing zeros of the fraction trimmed', () => {
  assert.equal(goTime(Date.UTC(2026, 10, 27, 1, 53, 29, 740)), '2026-11-27T01:53:29.74Z');
  assert.equal(goTime(Date.UTC(2026, 10, 27, 1, 53, 29, 0)), '2026-11-27T01:53:29Z');
});

test('follower latency keeps current, min, max, average and standard deviation', () => {
  const s = new LatencyStats();
  for (const ms of [2, 4, 4, 4, 5, 5, 7, 9]) s.record(ms);
  assert.equal(s.current, 9);
  assert.equal(s.minimum, 2);
  assert.equal(s.maximum, 9);
  assert.equal(s.average, 5);
  assert.equal(s.standardDeviation, 2);
});

test('rates count only the last second', () => {
  const r = new RateCounter();
  r.add(1000, 10);
  r.add(1500, 10);
  assert.deepEqual(r.rates(1600), { pkg: 2, bandwidth: 20 });
  assert.deepEqual(r.rates(2450), { pkg: 1, bandwidth: 10 });
  assert.deepEqual(r.rates(5000), { pkg: 0, bandwidth: 0 });
  assert.equal(r.count, 2);
});
