import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latencyOf, medianFigures, percentile, type Figures } from '../../tools/bench/figures.js';

describe('percentile', () => {
  it('is the smallest sample with at least p % of the samples at or below it', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(sorted, 50), 5);
    assert.equal(percentile(sorted, 90), 9);
    assert.equal(percentile(sorted, 99), 10);
    assert.equal(percentile(sorted, 0), 1);
    assert.equal(percentile(sorted, 100), 10);
  });

  it('is 0 for no samples', () => {
    assert.equal(percentile([], 99), 0);
  });
});

describe('latencyOf', () => {
  it('sorts the samples and converts them to milliseconds', () => {
    assert.deepEqual(latencyOf([3000, 1000, 2000, 4000], 1000), { p50: 2, p90: 4, p99: 4, p999: 4, max: 4, mean: 2.5 });
  });
});

const figures = (rate: number, p99: number, extra: Partial<Figures> = {}): Figures => ({
  requests: rate * 2,
  seconds: 2,
  rate,
  latencyMs: { p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 2, max: p99 * 3, mean: p99 / 3 },
  errors: 0,
  ...extra,
});

describe('medianFigures', () => {
  it("takes each figure's median on its own over an odd number of rounds", () => {
    const m = medianFigures([figures(100, 9), figures(300, 1), figures(200, 5)]);
    assert.equal(m.rate, 200);
    assert.equal(m.latencyMs.p99, 5);
  });

  it('takes the mean of the middle two over an even number of rounds', () => {
    const m = medianFigures([figures(100, 8, { cpuPer1000: 1 }), figures(300, 2, { cpuPer1000: 2 })]);
    assert.equal(m.rate, 200);
    assert.equal(m.latencyMs.p99, 5);
    assert.equal(m.cpuPer1000, 1.5);
  });

  it('keeps the mark of an election in any round', () => {
    assert.equal(medianFigures([figures(1, 1), figures(1, 1, { termChanged: true }), figures(1, 1)]).termChanged, true);
    assert.equal(medianFigures([figures(1, 1), figures(1, 1)]).termChanged, undefined);
  });
});
