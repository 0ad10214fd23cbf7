import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyHistory, quantileOf, binOf, slowestOfMajority } from '../../lib/server/latency-history.js';

const T0 = 1_800_000_000_000; // a wall-clock time on a whole second
const history = (keepSeconds = 600, silentAfterMs = 1000) => new LatencyHistory({ keepSeconds, silentAfterMs });

test('a view has one point per second, null where the follower did not answer', () => {
  const h = history();
  h.record('a', 2, T0 + 100);
  h.record('a', 4, T0 + 900);
  h.record('a', 10, T0 + 2_500);
  const v = h.view(T0 + 2_600, 4, ['a']);
  assert.equal(v.start, T0 / 1000 - 1);
  assert.equal(v.seconds, 4);
  const a = v.followers[0]!;
  assert.deepEqual(a.mean, [null, 3, null, 10]);
  assert.deepEqual(a.max, [null, 4, null, 10]);
  assert.equal(a.current, 10);
  assert.equal(a.lastAnswerAgoMs, 100);
});

test('window figures count only the seconds inside the window', () => {
  const h = history();
  h.record('a', 500, T0);
  for (let s = 100; s < 110; s++) h.record('a', 1, T0 + s * 1000);
  const recent = h.view(T0 + 109_000, 10, ['a']).followers[0]!.window;
  assert.equal(recent.samples, 10);
  assert.equal(recent.maximum, 1);
  const all = h.view(T0 + 109_000, 600, ['a']).followers[0]!.window;
  assert.equal(all.samples, 11);
  assert.equal(all.maximum, 500);
});

test('the ring reuses a slot for a new second and forgets what it held', () => {
  const h = history(5);
  h.record('a', 100, T0);
  h.record('a', 7, T0 + 5_000); // same slot, five seconds later
  const a = h.view(T0 + 5_000, 5, ['a']).followers[0]!;
  assert.equal(a.window.samples, 1);
  assert.equal(a.window.maximum, 7);
});

test('a sample for a second older than its slot holds is not counted in the window', () => {
  const h = history(5);
  h.record('a', 7, T0 + 5_000);
  h.record('a', 100, T0); // the clock stepped back: slot already holds a newer second
  assert.equal(h.view(T0 + 5_000, 5, ['a']).followers[0]!.window.samples, 1);
});

test('window average, minimum and maximum are exact; p50 and p99 are within 10%', () => {
  const h = history();
  // 1..1000 ms, spread over 100 seconds
  for (let i = 1; i <= 1000; i++) h.record('a', i, T0 + Math.floor((i - 1) / 10) * 1000);
  const w = h.view(T0 + 99_000, 100, ['a']).followers[0]!.window;
  assert.equal(w.samples, 1000);
  assert.equal(w.average, 500.5);
  assert.equal(w.minimum, 1);
  assert.equal(w.maximum, 1000);
  assert.ok(Math.abs(w.p50! - 500) / 500 < 0.1, `p50 ${w.p50}`);
  assert.ok(Math.abs(w.p99! - 990) / 990 < 0.1, `p99 ${w.p99}`);
});

test('a percentile never leaves the range of the samples', () => {
  const h = history();
  for (let i = 0; i < 50; i++) h.record('a', 3.3, T0);
  const w = h.view(T0, 1, ['a']).followers[0]!.window;
  assert.equal(w.p50, 3.3);
  assert.equal(w.p99, 3.3);
});

test('quantiles of an empty histogram are null; very fast and very slow latencies land in the end bins', () => {
  assert.equal(quantileOf([0, 0], 0, 0.99, 0, 0), null);
  assert.equal(binOf(0), 0);
  assert.equal(binOf(0.001), 0);
  assert.equal(binOf(1e9), binOf(1e12));
});

test('failures are counted per second and in the window', () => {
  const h = history();
  h.failure('a', T0);
  h.failure('a', T0 + 1_000);
  h.failure('a', T0 + 1_200);
  const a = h.view(T0 + 1_500, 3, ['a']).followers[0]!;
  assert.deepEqual(a.failed, [0, 1, 2]);
  assert.equal(a.window.failures, 3);
  assert.equal(a.window.samples, 0);
  assert.equal(a.window.p99, null);
});

test('a follower that has not answered for longer than silentAfterMs is silent; one never heard of too', () => {
  const h = history(600, 1000);
  h.record('a', 1, T0);
  assert.equal(h.view(T0 + 900, 10, ['a']).followers[0]!.silent, false);
  const later = h.view(T0 + 3_000, 10, ['a', 'b']);
  assert.equal(later.followers[0]!.silent, true);
  assert.equal(later.followers[0]!.lastAnswerAgoMs, 3_000);
  assert.equal(later.followers[1]!.silent, true);
  assert.equal(later.followers[1]!.current, null);
  assert.deepEqual(later.followers[1]!.mean, new Array(10).fill(null));
});

test('in three members the fastest follower completes the majority; in five the second fastest', () => {
  const f = (id: string, recent: number | null, silent = false) => ({ id, recent, silent });
  assert.equal(slowestOfMajority([f('a', 5), f('b', 1)], 2), 'b');
  assert.equal(slowestOfMajority([f('a', 5), f('b', 1), f('c', 9), f('d', 3)], 3), 'd');
});

test('a silent follower ranks after every answering one', () => {
  const f = (id: string, recent: number | null, silent = false) => ({ id, recent, silent });
  assert.equal(slowestOfMajority([f('a', 0.5, true), f('b', 20)], 2), 'b');
  assert.equal(slowestOfMajority([f('a', null, true), f('b', 1, true)], 2), 'a');
});

test('a one-member cluster has no follower to wait for', () => {
  const v = history().view(T0, 60, []);
  assert.equal(v.voters, 1);
  assert.equal(v.quorum, 1);
  assert.equal(v.slowestOfMajority, null);
});

test('the view ranks followers by their last ten seconds, not the whole window', () => {
  const h = history();
  h.record('a', 100, T0); // slow long ago
  for (let s = 50; s < 60; s++) {
    h.record('a', 1, T0 + s * 1000);
    h.record('b', 2, T0 + s * 1000);
  }
  const v = h.view(T0 + 59_500, 60, ['a', 'b']);
  assert.equal(v.followers[0]!.recent, 1);
  assert.equal(v.slowestOfMajority, 'a');
});

test('retain forgets removed followers', () => {
  const h = history();
  h.record('a', 1, T0);
  h.record('b', 1, T0);
  h.retain(['b']);
  assert.equal(h.view(T0, 1, ['a']).followers[0]!.current, null);
  assert.equal(h.view(T0, 1, ['b']).followers[0]!.current, 1);
});
