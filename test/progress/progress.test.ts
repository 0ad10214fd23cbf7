import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Progress, type ProgressReport } from '../../lib/progress/index.js';

test('reports at most once per interval, with the average rate since the start', () => {
  const reports: ProgressReport[] = [];
  let now = 1000;
  const p = new Progress({ intervalMs: 5000, report: (r) => reports.push(r), now: () => now });
  for (const [t, done] of [
    [2000, 10],
    [5999, 40],
    [6000, 50],
    [9000, 80],
    [11000, 100],
  ] as const) {
    now = t;
    p.update(done, 200);
  }
  assert.deepEqual(reports, [
    { done: 50, total: 200, perSecond: 10, elapsedMs: 5000 },
    { done: 100, total: 200, perSecond: 10, elapsedMs: 10000 },
  ]);
});

test('work shorter than one interval reports nothing', () => {
  const reports: ProgressReport[] = [];
  let now = 0;
  const p = new Progress({ intervalMs: 5000, report: (r) => reports.push(r), now: () => now });
  for (now = 100; now < 5000; now += 100) p.update(now);
  assert.deepEqual(reports, []);
});
