// npm run bench [-- --members 1|3] [--duration 10] [--only kvd|etcd] [--connections 16,64,256]
//
// Starts kvd (from dist/, run `npm run build` first) and, when installed, a
// real etcd 3.4 with --enable-v2 of the same shape, each on fresh data dirs in
// a temp folder on 127.0.0.1, and measures both in one run with wrk:
// sequential PUT latency, PUT / GET / quorum GET throughput with latency
// percentiles, and CPU seconds per 1000 requests summed over the members.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cac } from 'cac';

interface Target {
  readonly label: 'kvd' | 'etcd';
  readonly procs: ChildProcess[];
  readonly clientURL: string;
}

const cli = cac('bench');
cli.option('--members <n>', 'members per cluster (1 or 3)', { default: '1' });
cli.option('--duration <s>', 'seconds per wrk run', { default: '10' });
cli.option('--only <name>', 'kvd or etcd');
cli.option('--connections <list>', 'connection counts for PUT', { default: '64' });
cli.option('--sequential <n>', 'sequential PUTs for latency', { default: '2000' });
const { options } = cli.parse();
const members = Number(options.members);
const duration = Number(options.duration);
const conns = String(options.connections).split(',').map(Number);
const sequential = Number(options.sequential);

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'kvd-bench-'));
const value = 'v'.repeat(256);
let nextPort = 31000 + Math.floor(Math.random() * 2000) * 10;

function startCluster(label: 'kvd' | 'etcd'): Target {
  const names = Array.from({ length: members }, (_, i) => `${label}${i + 1}`);
  const ports = names.map(() => ({ client: nextPort++, peer: nextPort++ }));
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(',');
  const procs = names.map((name, i) => {
    const args = [
      '--name', name,
      '--data-dir', join(work, name),
      '--listen-client-urls', `http://127.0.0.1:${ports[i]!.client}`,
      '--advertise-client-urls', `http://127.0.0.1:${ports[i]!.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${ports[i]!.peer}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${ports[i]!.peer}`,
      '--initial-cluster', initial,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', `bench-${label}`,
    ];
    const cmd = label === 'kvd' ? process.execPath : 'etcd';
    const full = label === 'kvd' ? [join(root, 'dist/cmd/kvd.js'), ...args, '--log-level', 'warn'] : ['--enable-v2', ...args, '--log-level', 'error'];
    return spawn(cmd, full, { stdio: ['ignore', 'ignore', 'inherit'] });
  });
  return { label, procs, clientURL: `http://127.0.0.1:${ports[0]!.client}` };
}

function request(method: string, url: string, body?: string, agent?: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {} }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function waitForLeader(t: Target): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const r = await request('PUT', `${t.clientURL}/v2/keys/bench/ready`, 'value=1');
      if (r.status < 300) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${t.label} did not become ready`);
}

function cpuSeconds(procs: ChildProcess[]): number {
  let ticks = 0;
  for (const p of procs) {
    const fields = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

async function sequentialPuts(t: Target): Promise<{ p50: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (let i = 0; i < sequential; i++) {
    const start = process.hrtime.bigint();
    await request('PUT', `${t.clientURL}/v2/keys/bench/seq${i % 100}`, `value=${value}`, agent);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.floor(times.length * 0.99)]! };
}

const putScript = join(work, 'put.lua');
writeFileSync(
  putScript,
  `wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "value=${value}"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/v2/keys/bench/k" .. (n % 1000))
end
`,
);

interface WrkResult {
  rps: number;
  p50: string;
  p99: string;
  requests: number;
}

function wrk(url: string, c: number, script?: string): WrkResult {
  const args = ['-t', '2', '-c', String(c), '-d', `${duration}s`, '--latency', ...(script ? ['-s', script] : []), url];
  const out = spawnSync('wrk', args, { encoding: 'utf8' }).stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? '?';
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? '?';
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (errors) console.error(`  (${errors} non-2xx responses)`);
  return { rps, p50, p99, requests };
}

async function measure(t: Target): Promise<Record<string, string>> {
  await waitForLeader(t);
  const row: Record<string, string> = {};
  const seq = await sequentialPuts(t);
  row['seq PUT p50/p99 ms'] = `${seq.p50.toFixed(2)}/${seq.p99.toFixed(2)}`;
  for (const c of conns) {
    const cpu0 = cpuSeconds(t.procs);
    const r = wrk(`${t.clientURL}/v2/keys/bench/k`, c, putScript);
    const cpu = cpuSeconds(t.procs) - cpu0;
    row[`PUT c=${c} req/s`] = r.rps.toFixed(0);
    row[`PUT c=${c} p50/p99`] = `${r.p50}/${r.p99}`;
    row[`PUT c=${c} CPU s/1000`] = ((cpu / Math.max(1, r.requests)) * 1000).toFixed(3);
  }
  for (const [name, q] of [['GET', ''], ['quorum GET', '?quorum=true']] as const) {
    const cpu0 = cpuSeconds(t.procs);
    const r = wrk(`${t.clientURL}/v2/keys/bench/k1${q}`, 64);
    const cpu = cpuSeconds(t.procs) - cpu0;
    row[`${name} c=64 req/s`] = r.rps.toFixed(0);
    row[`${name} c=64 p50/p99`] = `${r.p50}/${r.p99}`;
    row[`${name} CPU s/1000`] = ((cpu / Math.max(1, r.requests)) * 1000).toFixed(3);
  }
  return row;
}

async function main(): Promise<void> {
  const hasEtcd = spawnSync('etcd', ['--version']).status === 0;
  const labels = (['kvd', 'etcd'] as const).filter((l) => (!options.only || options.only === l) && (l === 'kvd' || hasEtcd));
  const results: Record<string, Record<string, string>> = {};
  for (const label of labels) {
    const t = startCluster(label);
    try {
      console.error(`measuring ${label} (${members} member${members > 1 ? 's' : ''})...`);
      results[label] = await measure(t);
    } finally {
      for (const p of t.procs) p.kill('SIGKILL');
    }
  }
  const keys = Object.keys(results[labels[0]!] ?? {});
  console.log(`\n${members}-member, ${duration}s per wrk run, 256-byte values, wrk -t2 on the same 2-core machine`);
  console.log(['metric'.padEnd(26), ...labels.map((l) => l.padStart(16)), labels.length === 2 ? 'kvd/etcd'.padStart(10) : ''].join(''));
  for (const k of keys) {
    const vals = labels.map((l) => results[l]![k] ?? '');
    const ratio = labels.length === 2 && k.endsWith('req/s') ? (Number(vals[0]) / Number(vals[1])).toFixed(2) : '';
    console.log([k.padEnd(26), ...vals.map((v) => v.padStart(16)), ratio.padStart(10)].join(''));
  }
  rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
