// Deterministic simulation, seeds 1–400 (split across two files so the runner's two workers share them).
import { describe, it } from 'node:test';
import { assertSeedsPass } from './sim/batch.js';

describe('raft simulation (safety after every event, liveness after healing)', () => {
  for (let from = 1; from < 401; from += 100) {
    it(`seeds ${from}–${from + 99} keep every invariant and make progress once healed`, () =>
      assertSeedsPass(from, 100));
  }
});
