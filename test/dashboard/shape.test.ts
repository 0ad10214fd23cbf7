// The page's data shaping and number formatting, run in Node (no DOM).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MemberRow, MemberStatus, StatusSample } from '../../lib/server/dashboard-types.js';
import { formatCount, formatDuration, formatMs, formatRate, memberLabel } from '../../web/src/format.js';
import {
  alignedSeries,
  clusterSummary,
  followerState,
  healthOf,
  latencySeries,
  logSplits,
  meanOver,
  mergeSamples,
  newestSecond,
} from '../../web/src/shape.js';

const sample = (t: number, over: Partial<StatusSample> = {}): StatusSample => ({
  t,
  term: 2,
  commit: 1,
  applied: 1,
  leader: 'a',
  readsPerSecond: 0,
  writesPerSecond: 0,
  fsyncs: 0,
  fsyncMeanMs: null,
  fsyncP99Ms: null,
  ...over,
});

test('latencies always carry a unit and about three significant digits', () => {
  assert.equal(formatMs(0.4212), '0.42 ms');
  assert.equal(formatMs(4.216), '4.22 ms');
  assert.equal(formatMs(42.16), '42.2 ms');
  assert.equal(formatMs(421.6), '422 ms');
  assert.equal(formatMs(2310), '2.31 s');
  assert.equal(formatMs(12_345), '12.3 s');
  assert.equal(formatMs(null), '–');
  assert.equal(formatMs(Number.NaN), '–');
});

test('rates, counts and durations read at a glance', () => {
  assert.equal(formatRate(0), '0 /s');
  assert.equal(formatRate(3.46), '3.5 /s');
  assert.equal(formatRate(12_345.4), '12,345 /s');
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatDuration(2_500), '2.5 s');
  assert.equal(formatDuration(185_000), '3 min 05 s');
  assert.equal(formatDuration(7_440_000), '2 h 04 min');
  assert.equal(formatDuration(3 * 86_400_000 + 2 * 3_600_000), '3 d 02 h');
});

test('a member without a published name is called by its id', () => {
  assert.equal(memberLabel('a1', { a1: 'm1' }), 'm1');
  assert.equal(memberLabel('b2', { b2: '' }), 'b2 (not started)');
});

test('a follower is ok, silent, or has never answered', () => {
  assert.equal(followerState({ silent: false, lastAnswerAgoMs: 10 }), 'ok');
  assert.equal(followerState({ silent: true, lastAnswerAgoMs: 5000 }), 'silent');
  assert.equal(followerState({ silent: true, lastAnswerAgoMs: null }), 'never');
});

test('the latency chart has one x per second of the view and one line per follower, of its slowest answer each second', () => {
  const f = (id: string, max: (number | null)[]) => ({ id, max }) as never;
  const data = latencySeries({
    now: 0,
    start: 100,
    seconds: 3,
    followers: [f('a', [1, null, 2]), f('b', [3, 4, 5])],
    voters: 3,
    quorum: 2,
    slowestOfMajority: 'a',
  });
  assert.deepEqual(data, [
    [100, 101, 102],
    [1, null, 2],
    [3, 4, 5],
  ]);
});

test('merged samples keep one per second, drop what left the window, and ignore ones already held', () => {
  const held = [sample(10), sample(11), sample(12)];
  const merged = mergeSamples(held, [sample(12, { commit: 99 }), sample(13)], 14, 3);
  assert.deepEqual(
    merged.map((s) => s.t),
    [12, 13],
  );
  assert.equal(merged[0]!.commit, 1);
  assert.equal(newestSecond(merged), 13);
  assert.equal(newestSecond([]), 0);
});

test('aligned series put each member’s sample at its second, null where a member has none', () => {
  const data = alignedSeries(
    [{ samples: [sample(8, { readsPerSecond: 5 }), sample(10, { readsPerSecond: 7 })] }, { samples: [] }],
    (s) => s.readsPerSecond,
    10,
    3,
  );
  assert.deepEqual(data, [
    [8, 9, 10],
    [5, null, 7],
    [null, null, null],
  ]);
});

test('a mean over the last seconds skips missing values and older samples', () => {
  const samples = [
    sample(1, { writesPerSecond: 100 }),
    sample(8, { writesPerSecond: 2 }),
    sample(9, { writesPerSecond: null }),
    sample(10, { writesPerSecond: 4 }),
  ];
  assert.equal(
    meanOver(samples, (s) => s.writesPerSecond, 10, 5),
    3,
  );
  assert.equal(
    meanOver([], (s) => s.writesPerSecond, 10, 5),
    null,
  );
});

test('log axis lines fall on 1, 2 and 5 times powers of ten, only on powers of ten over a wide range', () => {
  assert.deepEqual(logSplits(0.5, 20), [0.5, 1, 2, 5, 10, 20]);
  assert.deepEqual(logSplits(0.01, 10_000), [0.01, 0.1, 1, 10, 100, 1000, 10_000]);
  assert.deepEqual(logSplits(0, 10), []);
});

const status = (over: Partial<MemberStatus> = {}): MemberStatus => ({
  id: 'a',
  name: 'm1',
  role: 'follower',
  leader: 'b',
  term: 3,
  commit: 1,
  applied: 1,
  unhealthy: null,
  startedAt: 0,
  watchers: 0,
  fsync: { count: 0, meanMs: null, p99Ms: null },
  samples: [],
  leaderChanges: [],
  ...over,
});
const row = (id: string, name: string, s: MemberStatus | null, problem: string | null = null): MemberRow => ({
  id,
  name,
  peerURLs: [],
  clientURLs: [],
  status: s,
  problem,
});

test('a member is healthy, unhealthy, unreachable, or added but not started', () => {
  assert.equal(healthOf(row('a', 'm1', status())), 'healthy');
  assert.equal(healthOf(row('a', 'm1', status({ unhealthy: 'no leader' }))), 'unhealthy');
  assert.equal(healthOf(row('a', 'm1', null, 'no answer in 1500 ms')), 'unreachable');
  assert.equal(healthOf(row('a', '', null, 'connection refused')), 'not started');
});

test('the cluster summary says how many members are healthy, who leads and how many may fail', () => {
  const three = [row('a', 'm1', status({ role: 'leader' })), row('b', 'm2', status()), row('c', 'm3', null, 'timeout')];
  assert.equal(
    clusterSummary(three),
    '2 of 3 members healthy; m1 leads (term 3). Writes need 2 of 3, so the cluster survives 1 member down.',
  );
  assert.match(
    clusterSummary([row('a', 'm1', status({ role: 'leader' }))]),
    /^One member: m1 leads \(term 3\)\. It is its own majority/,
  );
  assert.match(clusterSummary([row('a', 'm1', status()), row('b', 'm2', status())]), /no leader is elected/);
  assert.match(clusterSummary([]), /still starting/);
});
