import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h2loadFigures, parseH2loadLog, parseH2loadSummary } from '../../tools/bench/h2load.js';

// The summary h2load 1.52 printed after a run with --warm-up-time 1 -D 2.
const OUTPUT = `starting benchmark...
spawning thread #0: 4 total client(s). Timing-based test with 1s of warm-up time and 2s of main duration for measurements.
Application protocol: h2

finished in 3.06s, 23568.00 req/s, 506.43KB/s
requests: 47136 total, 47136 started, 47136 done, 47130 succeeded, 6 failed, 2 errored, 0 timeout
status codes: 47132 2xx, 0 3xx, 4 4xx, 0 5xx
traffic: 1.48MB (1555488) total, 139.41KB (142760) headers (space savings 95.08%), 92.06KB (94272) data
                     min         max         mean         sd        +/- sd
time for request:      193us    101.08ms      4.11ms      9.55ms    95.84%
`;

describe('parseH2loadSummary', () => {
  it('reads the rate and the request counts', () => {
    const s = parseH2loadSummary(OUTPUT);
    assert.equal(s.rate, 23568);
    assert.equal(s.done, 47136);
    assert.equal(s.failed, 6);
    assert.equal(s.errored, 2);
    assert.equal(s.timeout, 0);
  });

  it('takes the measured seconds from the rate, since "finished in" includes the warm-up', () => {
    assert.equal(parseH2loadSummary(OUTPUT).seconds, 2);
  });

  it('refuses output without a summary, quoting it', () => {
    assert.throws(
      () => parseH2loadSummary('No protocol negotiated. Aborted.\n'),
      /no summary.*No protocol negotiated/s,
    );
  });
});

describe('parseH2loadLog', () => {
  it("reads each request's duration and counts non-2xx/3xx statuses", () => {
    const log = parseH2loadLog('1796408278201888\t200\t1500\n1796408278201889\t404\t2500\n1796408278201890\t-1\t900\n');
    assert.deepEqual([...log.durationsUs], [1500, 2500, 900]);
    assert.equal(log.badStatus, 2);
  });

  it('leaves out the requests logged with status 0, which straddled the end of the warm-up', () => {
    const log = parseH2loadLog('1796409277680112\t0\t8684\n1796409277690000\t200\t700\n');
    assert.deepEqual([...log.durationsUs], [700]);
    assert.equal(log.badStatus, 0);
  });

  it('refuses a line that is not start, status and duration', () => {
    assert.throws(() => parseH2loadLog('1796408278201888\t200\n'), /line 1/);
  });
});

describe('h2loadFigures', () => {
  it('takes percentiles in milliseconds from the log and the rate from the summary', () => {
    const durations = Array.from({ length: 1000 }, (_, i) => `0\t200\t${(i + 1) * 10}`).join('\n');
    const f = h2loadFigures(parseH2loadSummary(OUTPUT), parseH2loadLog(durations));
    assert.equal(f.requests, 1000);
    assert.equal(f.rate, 23568);
    assert.deepEqual(f.latencyMs, { p50: 5, p90: 9, p99: 9.9, p999: 9.99, max: 10, mean: 5.005 });
  });

  it('counts failed requests once, errored ones being a subset of them', () => {
    const f = h2loadFigures(parseH2loadSummary(OUTPUT), parseH2loadLog('0\t200\t10\n0\t404\t10\n'));
    assert.equal(f.errors, 6);
  });
});
