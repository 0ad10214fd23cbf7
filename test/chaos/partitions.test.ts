// Issue 9: no member dies when a partition heals. Three real members under a
// write load; the leader is cut off for 8 s and healed, three times (see
// partition-driver.ts for how the cut is made inside a private namespace).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChaosReport } from './partition-driver.js';
import { namespaceUnavailable, runDriver } from './namespace.js';

const unavailable = namespaceUnavailable();

test(
  'three members under writes survive three 8 s partitions of their leader: all stay up, every member takes writes within 3 s of each heal, no acknowledged write is lost',
  { skip: unavailable ?? false },
  async (t) => {
    const r = await runDriver(t, 'partition-driver.ts', [], 150_000);
    assert.equal(r.code, 0, `driver exited with ${r.code ?? r.signal}:\n${r.stderr.slice(-3000)}`);
    const report = r.report as ChaosReport;
    assert.deepStrictEqual(report.exited, {}, 'every member stayed up');
    assert.deepStrictEqual(report.errors, [], 'no member logged an error');
    assert.equal(report.failure, null);
    assert.equal(report.cycles.length, 3);
    for (const c of report.cycles) {
      assert.notEqual(c.leaderDuringPartition, '', `the other two elected a leader while ${c.isolated} was cut off`);
      assert.notEqual(c.leaderDuringPartition, c.isolated, `${c.isolated} was really cut off`);
      for (const [member, ms] of Object.entries(c.writeAfterHealMs)) {
        assert.ok(ms !== null && ms <= 3000, `a write through ${member} took ${ms} ms after the heal of ${c.isolated}`);
      }
    }
    assert.ok(report.acknowledged > 0, 'writes were acknowledged');
    assert.deepStrictEqual(report.lost, [], 'every acknowledged write is readable on every member');
  },
);
