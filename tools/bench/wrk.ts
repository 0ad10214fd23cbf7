// wrk (HTTP/1.1 keep-alive) loads: the Lua script that shapes the requests
// and prints wrk's own latency distribution as JSON in done(), and the
// parsing of that line.
//
// wrk counts a request slower than its --timeout as a timeout and leaves it
// out of the latency distribution, so the harness gives it a long timeout:
// the tail is what is measured here.

import type { Figures } from './figures.js';

export type WrkRequests =
  /** PUT of a new key per request: `<prefix><thread>_<n>`, body `value=<value>` form-encoded. */
  | { readonly kind: 'put'; readonly prefix: string; readonly value: string }
  /** GET of `<prefix><i><query>` for i cycling through 0..count-1, each thread from its own offset. */
  | { readonly kind: 'get'; readonly prefix: string; readonly count: number; readonly query: string }
  /** PUT of `<prefix><i>` for i cycling through 0..count-1 (the same keys over and over), each thread from its own offset. */
  | { readonly kind: 'putKeys'; readonly prefix: string; readonly count: number; readonly value: string };

const MARK = 'KVD_BENCH_WRK ';

const luaString = (s: string): string => JSON.stringify(s);

/** The Lua script for `requests`; paths are URL paths (`/v2/keys/...`). */
export function wrkScript(requests: WrkRequests): string {
  const request =
    requests.kind === 'putKeys'
      ? [
          'wrk.method = "PUT"',
          'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
          `wrk.body = ${luaString(`value=${encodeURIComponent(requests.value)}`)}`,
          `local prefix = ${luaString(requests.prefix)}`,
          `local count = ${requests.count}`,
          'local n = -1',
          'request = function()',
          '  if n < 0 then n = (tid * 7919) % count end',
          '  n = (n + 1) % count',
          '  return wrk.format(nil, prefix .. n)',
          'end',
        ]
      : requests.kind === 'put'
        ? [
            'wrk.method = "PUT"',
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
            `wrk.body = ${luaString(`value=${encodeURIComponent(requests.value)}`)}`,
            `local prefix = ${luaString(requests.prefix)}`,
            'local n = 0',
            'request = function()',
            '  n = n + 1',
            '  return wrk.format(nil, prefix .. tid .. "_" .. n)',
            'end',
          ]
        : [
            `local prefix = ${luaString(requests.prefix)}`,
            `local query = ${luaString(requests.query)}`,
            `local count = ${requests.count}`,
            'local n = -1',
            'request = function()',
            '  if n < 0 then n = (tid * 7919) % count end',
            '  n = (n + 1) % count',
            '  return wrk.format("GET", prefix .. n .. query)',
            'end',
          ];
  return [
    '-- Written by tools/bench: one Lua state per wrk thread; setup() runs in the main one.',
    'local threads = 0',
    'function setup(thread)',
    '  threads = threads + 1',
    '  thread:set("tid", threads)',
    'end',
    ...request,
    'function done(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(',
    `    ${luaString(MARK)} .. '{"requests":%d,"durationUs":%d,"bytes":%d,' ..`,
    `    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..`,
    `    '"latencyUs":{"min":%d,"mean":%.3f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\\n',`,
    '    summary.requests, summary.duration, summary.bytes,',
    '    e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency.min, latency.mean, latency.max,',
    '    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))',
    'end',
    '',
  ].join('\n');
}

interface WrkJson {
  requests: number;
  durationUs: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { mean: number; max: number; p50: number; p90: number; p99: number; p999: number };
}

/** The figures in wrk's stdout as printed by done() of `wrkScript`; throws when the line is missing. */
export function parseWrk(stdout: string): Figures {
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (line === undefined)
    throw new Error(`wrk printed no result line (${MARK.trim()}); its output:\n${stdout.slice(-2000)}`);
  const j = JSON.parse(line.slice(MARK.length)) as WrkJson;
  const seconds = j.durationUs / 1e6;
  const ms = (us: number) => us / 1000;
  const e = j.errors;
  return {
    requests: j.requests,
    seconds,
    rate: seconds > 0 ? j.requests / seconds : 0,
    latencyMs: {
      p50: ms(j.latencyUs.p50),
      p90: ms(j.latencyUs.p90),
      p99: ms(j.latencyUs.p99),
      p999: ms(j.latencyUs.p999),
      max: ms(j.latencyUs.max),
      mean: ms(j.latencyUs.mean),
    },
    errors: e.connect + e.read + e.write + e.status + e.timeout,
  };
}
