import assert from 'node:assert/strict';
import { runSimulation } from './simulation.js';

/** The quick mode `npm test` runs: short chaos, then healing until a proposal commits. */
export const QUICK = { chaosTime: 4_000, healTime: 6_000 };

/** Runs seeds [from, from + count) and fails naming every failing seed and how to rerun it. */
export function assertSeedsPass(from: number, count: number): void {
  const failures: string[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const r = runSimulation({ seed, ...QUICK });
    if (!r.ok)
      failures.push(
        `${r.error}\n  rerun: npm run sim -- --seeds 1 --from ${seed} --chaos ${QUICK.chaosTime} --heal ${QUICK.healTime}`,
      );
  }
  assert.deepEqual(failures, [], `${failures.length} failing seed(s):\n${failures.join('\n')}`);
}
