// The whole-cluster simulation in short mode (the long mode is
// `npm run sim:cluster -- --seeds N`), and proof that its checkers bite:
// each planted bug is caught on a seed known to expose it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSimulation, type InjectedBug } from './simulation.js';

/** Seeds in the short batch; each takes a few hundred ms. */
const SHORT_BATCH = 40;

describe('the whole-cluster simulation', () => {
  it(`passes seeds 1..${SHORT_BATCH}: linearizable keys, no acknowledged write lost, watches without gaps, one entry per index`, async () => {
    const failed: string[] = [];
    for (let seed = 1; seed <= SHORT_BATCH; seed++) {
      const r = await runSimulation({ seed });
      if (r.failures.length > 0)
        failed.push(`seed ${seed}: ${r.failures.map((f) => `${f.kind}: ${f.message}`).join('; ')}`);
    }
    assert.deepEqual(failed, []);
  });

  const planted: [InjectedBug, number, string][] = [
    ['stale-read', 1, 'not linearizable'],
    ['ack-before-fsync', 2, 'not linearizable'],
    ['reuse-proposal-id', 3, 'request id reused'],
  ];
  for (const [bug, seed, kind] of planted) {
    it(`catches the planted ${bug} bug (seed ${seed}: ${kind})`, async () => {
      const r = await runSimulation({ seed, inject: bug });
      assert.ok(
        r.failures.some((f) => f.kind === kind),
        `expected a "${kind}" failure, got: ${r.failures.map((f) => f.kind).join(', ') || 'none'}`,
      );
    });
  }
});
