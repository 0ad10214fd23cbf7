// node --import tsx tools/bench/profile.ts [--connections 16,64] [--duration 4]
//
// Where the tail of a PUT load (or the time of a GET load) goes: starts a kvd cluster of the
// benchmark's shape (dist/ must be built) with tools/bench/probe loaded into
// every member, then for each PUT load on the leader opens a measurement
// window on every member and reports, for the leader and a follower: a CPU
// profile (self time per function and file), event-loop delay at 1 ms
// resolution and the stalls of 5 ms or more, GC pauses by kind, fsync
// timings and snapshots (from the member's /metrics), next to wrk's latency.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { cac } from 'cac';
import { Cluster, preload, type Member } from './cluster.js';
import { longTasks, summarize, type CpuProfile, type LongTask, type ProfileSummary } from './cpuprofile.js';
import type { Figures } from './figures.js';
import { summarizeHeap, type HeapProfile, type HeapSummary } from './heapprofile.js';
import { READ_PREFIX, runLoad, type Load, type LoadContext } from './loads.js';
import { atExit, removeDir, run } from './procs.js';
import type { ProbeWindow } from './probe.js';

const root = new URL('../..', import.meta.url).pathname.replace(/\/dist\/$/, '/');
const probeJs = join(root, 'dist/tools/bench/probe.js');

const cli = cac('node --import tsx tools/bench/profile.ts');
cli.option('--members <n>', 'members', { default: '3' });
cli.option('--connections <list>', 'connections of the loads', { default: '16,64' });
cli.option('--kind <kind>', 'put (a new key each request) or get (local GET of the 1000 preloaded keys)', {
  default: 'put',
});
cli.option('--duration <s>', 'seconds per load', { default: '4' });
cli.option('--top <n>', 'functions and files shown per member', { default: '15' });
cli.option('--snapshot-count <n>', "the members' snapshot-count (default: kvd's own)");
cli.option(
  '--node-args <args>',
  "more node options for the members, space-separated (e.g. '--max-semi-space-size=64')",
);
cli.option(
  '--cpu-only',
  'no event-loop delay or stall timers (1 ms timers cost CPU that shows on a nearly idle member)',
);
cli.option(
  '--heap <what>',
  'also a sampling heap profile of each window: all (garbage included: bytes allocated per request and by whom) or live (what is still alive at its end)',
);
cli.option('--out <dir>', 'where profiles and the JSON summary go (default: a temp dir, kept)');
cli.help();

interface Histogram {
  readonly count: number;
  readonly sum: number;
  readonly buckets: ReadonlyArray<[number, number]>;
}

/** A histogram of Prometheus text `body` (cumulative buckets by upper bound). */
function histogram(body: string, name: string): Histogram {
  const buckets: Array<[number, number]> = [];
  let count = 0;
  let sum = 0;
  for (const line of body.split('\n')) {
    if (line.startsWith(`${name}_bucket{`)) {
      const le = /le="([^"]+)"/.exec(line)![1]!;
      buckets.push([le === '+Inf' ? Infinity : Number(le), Number(line.slice(line.lastIndexOf(' ') + 1))]);
    } else if (line.startsWith(`${name}_count`)) count = Number(line.slice(line.lastIndexOf(' ') + 1));
    else if (line.startsWith(`${name}_sum`)) sum = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { count, sum, buckets };
}

interface HistogramDelta {
  readonly count: number;
  readonly meanMs: number;
  /** Upper bounds (ms) of the buckets holding the 50th and 99th percentile, and the largest bucket reached. */
  readonly p50AtMostMs: number;
  readonly p99AtMostMs: number;
  readonly maxAtMostMs: number;
}

function delta(before: Histogram, after: Histogram): HistogramDelta {
  const count = after.count - before.count;
  const buckets = after.buckets.map(([le, n], i): [number, number] => [le, n - (before.buckets[i]?.[1] ?? 0)]);
  const at = (q: number) => (buckets.find(([, n]) => n >= Math.ceil(q * count))?.[0] ?? Infinity) * 1000;
  const reached = buckets.find(([, n]) => n >= count)?.[0] ?? Infinity;
  return {
    count,
    meanMs: count > 0 ? Math.round(((after.sum - before.sum) / count) * 1e6) / 1000 : 0,
    p50AtMostMs: count > 0 ? at(0.5) : 0,
    p99AtMostMs: count > 0 ? at(0.99) : 0,
    maxAtMostMs: count > 0 ? reached * 1000 : 0,
  };
}

function metrics(m: Member): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(`${m.clientURL}/metrics`, { timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function probeWindow(dir: string, pid: number, n: number): Promise<ProbeWindow> {
  const file = join(dir, `${pid}-${n}.json`);
  for (let i = 0; i < 200 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(file)) throw new Error(`the probe of pid ${pid} wrote no ${file} within 10 s`);
  return JSON.parse(readFileSync(file, 'utf8')) as ProbeWindow;
}

interface MemberReport {
  readonly name: string;
  readonly role: 'leader' | 'follower';
  readonly probe: ProbeWindow;
  readonly fsync: HistogramDelta;
  readonly snapshots: HistogramDelta;
  readonly profile: ProfileSummary;
  readonly longTasks: LongTask[];
  readonly descheduledMs: number;
  readonly heap?: HeapSummary;
}

function valueOf(bytes: number): string {
  return 'x'.repeat(bytes);
}

async function main(): Promise<void> {
  const parsed = cli.parse();
  if (parsed.options.help) return;
  const o = parsed.options;
  if (!existsSync(probeJs)) throw new Error(`${probeJs} is missing: run npm run build`);
  const out = o.out ? String(o.out) : mkdtempSync(join(os.tmpdir(), 'kvd-profile-'));
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(join(os.tmpdir(), 'kvd-profile-run-'));
  atExit(() => removeDir(work));
  const certsDir = join(work, 'certs');
  const r = await run(join(root, 'tools/make-certs.sh'), [certsDir, '2'], 60_000);
  if (r.code !== 0) throw new Error(`tools/make-certs.sh failed: ${r.stderr}`);
  process.env.KVD_PROBE_DIR = out;
  if (o.cpuOnly) process.env.KVD_PROBE_CPU_ONLY = '1';
  if (o.heap !== undefined) {
    if (o.heap !== 'all' && o.heap !== 'live') throw new Error(`--heap takes all or live, not ${String(o.heap)}`);
    process.env.KVD_PROBE_HEAP = o.heap;
  }
  const extra = o.snapshotCount ? ['--snapshot-count', String(o.snapshotCount)] : [];
  const cluster = await Cluster.start(
    'kvd',
    Number(o.members),
    join(work, 'kvd'),
    { certFile: join(certsDir, 'server.pem'), keyFile: join(certsDir, 'server-key.pem') },
    [
      '--import',
      probeJs,
      ...(o.nodeArgs
        ? String(o.nodeArgs)
            .split(' ')
            .filter((a) => a !== '')
        : []),
    ],
    extra,
  );
  const ctx: LoadContext = {
    dir: work,
    seconds: Number(o.duration),
    value: valueOf(256),
    readKeys: 1000,
    wrkThreads: 2,
  };
  const reports: Record<string, { wrk: Figures; loadAvg: number[]; members: MemberReport[] }> = {};
  try {
    const leader = await cluster.leader();
    const follower = cluster.members.find((m) => m !== leader)!;
    const watched = [leader, ...(follower ? [follower] : [])];
    await preload(leader.clientURL, READ_PREFIX, 1000, ctx.value);
    await runLoad({ id: 'warmup', label: 'warm-up', kind: 'put', connections: 16, streams: 1 }, leader, {
      ...ctx,
      seconds: 2,
    });
    let window = 0;
    for (const c of String(o.connections).split(',').map(Number)) {
      const kind = o.kind === 'get' ? 'get' : 'put';
      const load: Load = {
        id: `${kind}-c${c}`,
        label: `${kind === 'get' ? 'local GET' : 'PUT'} c=${c}`,
        kind,
        connections: c,
        streams: 1,
      };
      const before = await Promise.all(watched.map(metrics));
      for (const m of cluster.members) m.proc.kill('SIGUSR2');
      // Starting the profiler stalls the loop for a while: let that pass before the load.
      await new Promise((res) => setTimeout(res, 1500));
      const wrk = await runLoad(load, leader, ctx);
      for (const m of cluster.members) m.proc.kill('SIGUSR2');
      window++;
      const after = await Promise.all(watched.map(metrics));
      const members: MemberReport[] = [];
      for (const [i, m] of watched.entries()) {
        const probe = await probeWindow(out, m.proc.pid!, window);
        const cpu = JSON.parse(readFileSync(probe.cpuProfile, 'utf8')) as CpuProfile;
        const profile = summarize(cpu, Number(o.top));
        const lt = longTasks(cpu, 3, 10);
        members.push({
          name: m.name,
          role: m === leader ? 'leader' : 'follower',
          probe,
          fsync: delta(
            histogram(before[i]!, 'etcd_disk_wal_fsync_duration_seconds'),
            histogram(after[i]!, 'etcd_disk_wal_fsync_duration_seconds'),
          ),
          snapshots: delta(
            histogram(before[i]!, 'etcd_debugging_snap_save_total_duration_seconds'),
            histogram(after[i]!, 'etcd_debugging_snap_save_total_duration_seconds'),
          ),
          profile,
          longTasks: lt.tasks,
          descheduledMs: lt.descheduledMs,
          ...(probe.heapProfile
            ? {
                heap: summarizeHeap(JSON.parse(readFileSync(probe.heapProfile, 'utf8')) as HeapProfile, Number(o.top)),
              }
            : {}),
        });
      }
      reports[load.id] = { wrk, loadAvg: os.loadavg(), members };
      print(load.label, reports[load.id]!);
    }
  } finally {
    cluster.stop();
  }
  writeFileSync(join(out, 'profile.json'), JSON.stringify(reports, null, 2));
  console.log(`\nprofiles and profile.json in ${out}`);
}

function print(label: string, r: { wrk: Figures; loadAvg: number[]; members: MemberReport[] }): void {
  const l = r.wrk.latencyMs;
  console.log(
    `\n== ${label}: ${r.wrk.rate.toFixed(0)} req/s, p50 ${l.p50.toFixed(2)} p99 ${l.p99.toFixed(2)} p99.9 ${l.p999.toFixed(2)} max ${l.max.toFixed(1)} ms; load average ${r.loadAvg.map((x) => x.toFixed(2)).join(' ')}`,
  );
  for (const m of r.members) {
    const d = m.probe.loopDelayMs;
    const gc = Object.entries(m.probe.gc)
      .map(([k, g]) => `${k} ${g.count}x total ${g.totalMs.toFixed(0)} max ${g.maxMs.toFixed(1)} ms`)
      .join('; ');
    const stalls = [...m.probe.stalls].sort((a, b) => b[1] - a[1]);
    console.log(
      `-- ${m.name} (${m.role}): loop delay p50 ${d.p50} p99 ${d.p99} p99.9 ${d.p999} max ${d.max} ms; ${stalls.length} stalls >= 5 ms, longest ${stalls
        .slice(0, 6)
        .map((s) => `${s[1]}@${s[0]}`)
        .join(' ')}`,
    );
    console.log(`   GC: ${gc}`);
    console.log(
      `   fsync: ${m.fsync.count}, mean ${m.fsync.meanMs} ms, p50 <= ${m.fsync.p50AtMostMs} p99 <= ${m.fsync.p99AtMostMs} max <= ${m.fsync.maxAtMostMs} ms; snapshots ${m.snapshots.count} (mean ${m.snapshots.meanMs} ms)`,
    );
    console.log(
      `   CPU profile ${m.profile.totalMs} ms, idle ${m.profile.idleMs} ms; by file: ${m.profile.files.map((f) => `${f.name} ${f.share}%`).join(', ')}`,
    );
    for (const f of m.profile.functions) console.log(`     ${f.share.toFixed(1).padStart(5)}%  ${f.name}`);
    console.log(
      `   sampler descheduled ${m.descheduledMs} ms; long tasks (>= 3 ms of JS/GC without idle): ${m.longTasks.length === 0 ? 'none' : ''}`,
    );
    for (const t of m.longTasks) console.log(`     ${t.ms.toFixed(1).padStart(6)} ms at ${t.at} ms: ${t.mostly}`);
    if (m.heap) printHeap(m.heap, r.wrk.requests);
  }
}

function printHeap(h: HeapSummary, requests: number): void {
  const kb = (b: number) => (b / 1024).toFixed(1);
  // The window also holds the 1.5 s before the load, when the member is idle.
  console.log(
    `   heap profile: ${(h.totalBytes / 1048576).toFixed(1)} MB in the window, ${kb(h.totalBytes / Math.max(1, requests))} KiB per request; by file: ${h.files.map((f) => `${f.name} ${f.share}%`).join(', ')}`,
  );
  console.log('   by kvd call site → allocating function:');
  for (const s of h.sites)
    console.log(
      `     ${s.share.toFixed(1).padStart(5)}%  ${kb(s.bytes / Math.max(1, requests)).padStart(6)} KiB/req  ${s.name}`,
    );
  console.log('   by allocating function:');
  for (const f of h.functions) console.log(`     ${f.share.toFixed(1).padStart(5)}%  ${f.name}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
