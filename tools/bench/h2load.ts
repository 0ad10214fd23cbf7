// h2load (HTTP/2 over TLS) loads. h2load prints only min/mean/max of request
// times, so the percentiles come from its per-request log (--log-file: start
// time in µs, status, duration in µs, tab-separated), and the rate from its
// summary.

import type { Figures } from './figures.js';
import { latencyOf } from './figures.js';

export interface H2loadSummary {
  /** Of the measured part: "finished in" includes the warm-up, the rate does not. */
  readonly seconds: number;
  readonly rate: number;
  readonly done: number;
  readonly failed: number;
  readonly errored: number;
  readonly timeout: number;
}

const DURATION_UNITS: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1 };

/** The "finished in" and "requests:" lines of h2load's stdout; throws when they are missing. */
export function parseH2loadSummary(stdout: string): H2loadSummary {
  const finished = /^finished in ([\d.]+)(us|ms|s), ([\d.]+) req\/s/m.exec(stdout);
  const requests =
    /^requests: \d+ total, \d+ started, (\d+) done, \d+ succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(
      stdout,
    );
  if (!finished || !requests) throw new Error(`h2load printed no summary; its output:\n${stdout.slice(-2000)}`);
  const rate = Number(finished[3]);
  const done = Number(requests[1]);
  return {
    seconds: rate > 0 ? done / rate : Number(finished[1]) * DURATION_UNITS[finished[2]!]!,
    rate,
    done,
    failed: Number(requests[2]),
    errored: Number(requests[3]),
    timeout: Number(requests[4]),
  };
}

export interface H2loadLog {
  readonly durationsUs: Float64Array;
  /** Responses whose status is not 2xx or 3xx. */
  readonly badStatus: number;
}

/**
 * h2load's --log-file. Requests it logs with status 0 are left out: h2load
 * 1.52 logs so the requests whose response began during the warm-up and
 * ended after it (its summary counts them as succeeded, outside the status
 * codes); a request that really failed is in the summary's counts.
 */
export function parseH2loadLog(text: string): H2loadLog {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const durations: number[] = [];
  let badStatus = 0;
  lines.forEach((line, i) => {
    const [, status, duration] = line.split('\t');
    if (status === undefined || duration === undefined || !/^-?\d+$/.test(status) || !/^\d+$/.test(duration)) {
      throw new Error(`h2load log line ${i + 1} is not "start<TAB>status<TAB>duration": ${line}`);
    }
    const code = Number(status);
    if (code === 0) return;
    durations.push(Number(duration));
    if (!(code >= 200 && code < 400)) badStatus++;
  });
  return { durationsUs: Float64Array.from(durations), badStatus };
}

export function h2loadFigures(summary: H2loadSummary, log: H2loadLog): Figures {
  return {
    requests: log.durationsUs.length,
    seconds: summary.seconds,
    rate: summary.rate,
    latencyMs: latencyOf(log.durationsUs, 1000),
    // h2load's "failed" already holds non-2xx/3xx responses and the "errored" ones (a subset).
    errors: Math.max(summary.failed, log.badStatus + summary.errored + summary.timeout),
  };
}
