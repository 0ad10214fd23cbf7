import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parseWrk, wrkScript, type WrkRequests } from '../../tools/bench/wrk.js';

// What wrkScript's done() prints, as wrk 4.1 printed it for a 2 s run.
const DONE_LINE =
  'KVD_BENCH_WRK {"requests":4210,"durationUs":2001234,"bytes":901234,' +
  '"errors":{"connect":0,"read":1,"write":0,"status":3,"timeout":2},' +
  '"latencyUs":{"min":310,"mean":3801.250,"max":67012,"p50":3412,"p90":6020,"p99":14030,"p999":51000}}';

describe('parseWrk', () => {
  it("reads the figures done() printed, in milliseconds, among wrk's other output", () => {
    const f = parseWrk(`Running 2s test @ http://127.0.0.1:1\n  2 threads and 16 connections\n${DONE_LINE}\n`);
    assert.equal(f.requests, 4210);
    assert.equal(f.seconds, 2.001234);
    assert.equal(f.rate, 4210 / 2.001234);
    assert.deepEqual(f.latencyMs, { p50: 3.412, p90: 6.02, p99: 14.03, p999: 51, max: 67.012, mean: 3.80125 });
  });

  it('counts socket errors, timeouts and non-2xx/3xx responses as errors', () => {
    assert.equal(parseWrk(DONE_LINE).errors, 6);
  });

  it('refuses output without the result line, quoting it', () => {
    assert.throws(
      () => parseWrk('unable to connect to 127.0.0.1:1 Connection refused\n'),
      /no result line.*Connection refused/s,
    );
  });
});

const hasWrk = spawnSync('wrk', ['-v']).error === undefined;

/** Runs wrk with `requests`' script for 1 s against a local server; returns the paths, bodies and parsed figures. */
async function runWrk(t: TestContext, requests: WrkRequests, connections: number) {
  const seen: { method: string; url: string; body: string; type: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (seen.length < 100_000)
        seen.push({ method: req.method!, url: req.url!, body, type: req.headers['content-type'] ?? '' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.keepAliveTimeout = 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'kvd-bench-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'load.lua');
  writeFileSync(script, wrkScript(requests));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      'wrk',
      ['-t', '2', '-c', String(connections), '-d', '1s', '-s', script, url],
      { timeout: 30_000 },
      (err, out) => (err ? reject(err) : resolve(out)),
    );
  });
  server.closeAllConnections();
  return { seen, figures: parseWrk(stdout) };
}

describe('wrkScript, run by wrk', { skip: hasWrk ? false : 'wrk is not installed' }, () => {
  it('PUTs a new key on every request, with the form-encoded value', async (t) => {
    const { seen, figures } = await runWrk(t, { kind: 'put', prefix: '/v2/keys/bench/put/', value: 'a b&c' }, 4);
    assert.ok(seen.length > 0);
    assert.ok(seen.every((r) => r.method === 'PUT' && r.url.startsWith('/v2/keys/bench/put/')));
    assert.ok(seen.every((r) => r.body === 'value=a%20b%26c' && r.type === 'application/x-www-form-urlencoded'));
    assert.equal(new Set(seen.map((r) => r.url)).size, seen.length, 'a key was written twice');
    // Each thread counts its own requests; done() reports them all (responses in flight at the end are not counted).
    assert.ok(figures.requests > 0 && figures.requests <= seen.length);
    assert.equal(figures.errors, 0);
  });

  it('GETs the read keys in turn, with the query', async (t) => {
    const { seen } = await runWrk(
      t,
      { kind: 'get', prefix: '/v2/keys/bench/read/k', count: 5, query: '?quorum=true' },
      2,
    );
    assert.ok(seen.length >= 5);
    const urls = new Set(seen.map((r) => `${r.method} ${r.url}`));
    assert.deepEqual(
      [...urls].sort(),
      [0, 1, 2, 3, 4].map((i) => `GET /v2/keys/bench/read/k${i}?quorum=true`),
    );
  });
});
