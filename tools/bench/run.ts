// npm run bench [-- options]            kvd against etcd 3.4, side by side, in one run
// npm run bench -- --compare old.json new.json
//
// Starts kvd (from dist/) and a real etcd 3.4 (--enable-v2) of the same
// shape on fresh data dirs in a temp dir, on 127.0.0.1 only, each member
// also listening on a TLS client URL, and puts the loads of issue 16 on the
// leader: sequential PUT from one client, PUT at 16/64/256 connections,
// local and quorum GET at 64 (wrk, HTTP/1.1 keep-alive), GET and POST over
// h2 with TLS at 4 connections x 16 streams (h2load). Every latency figure
// comes from the load generator's distribution of every request. It also
// measures the floor of a sequential PUT (fdatasync + peer round trip),
// prints ratios kvd/etcd, and writes every figure to a JSON file that
// `--compare` sets against another run's.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { cac } from 'cac';
import { Cluster, preload, type Certs, type System } from './cluster.js';
import type { Figures } from './figures.js';
import { measureFloor, type Floor } from './floor.js';
import { LOAD_KINDS, plannedLoads, READ_PREFIX, runLoad, type Load, type LoadContext, type LoadKind } from './loads.js';
import { atExit, firstLine, installed, removeDir, run } from './procs.js';
import { formatCompare, formatRun } from './report.js';
import {
  medianFloor,
  medianOfRounds,
  readResult,
  RESULT_FORMAT,
  writeResult,
  type BenchResult,
  type SystemResult,
} from './result.js';

const root = new URL('../..', import.meta.url).pathname.replace(/\/dist\/$/, '/');

const cli = cac('npm run bench --');
cli.option('--members <n>', 'members per cluster (1 to 7)', { default: '3' });
cli.option('--duration <s>', 'seconds per load', { default: '8' });
cli.option('--rounds <n>', 'rounds (each starts fresh clusters); figures are the medians', { default: '1' });
cli.option('--only <system>', 'kvd or etcd (default: both)');
cli.option('--loads <list>', `which loads, of ${LOAD_KINDS.join(',')}`, { default: LOAD_KINDS.join(',') });
cli.option('--connections <list>', 'connections of the PUT loads', { default: '16,64,256' });
cli.option('--get-connections <n>', 'connections of the GET loads', { default: '64' });
cli.option('--h2 <CxS>', 'h2 loads: connections x streams per connection', { default: '4x16' });
cli.option('--wrk-threads <n>', 'wrk threads (at most the connections)', { default: '2' });
cli.option('--warmup <s>', 'seconds of PUT load on each new cluster before measuring (0: none)', { default: '2' });
cli.option('--floor-seconds <s>', 'seconds to measure fsync and peer round trip (0: skip)', { default: '2' });
cli.option('--value-bytes <n>', 'bytes of each value', { default: '256' });
cli.option('--read-keys <n>', 'keys the GET loads cycle through', { default: '1000' });
cli.option('--out <file>', 'the JSON result file (default: in the OS temp dir, printed)');
cli.option('--keep', 'keep the temp dir (member logs, data dirs) and print where it is');
cli.option('--compare', 'print the differences between two result files: --compare old.json new.json');
cli.help();

class UsageError extends Error {}

function int(name: string, v: unknown, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not ${String(v)}`);
  return n;
}

function list(v: unknown): string[] {
  return String(v)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

interface Options {
  readonly members: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly systems: System[];
  readonly loads: Load[];
  readonly wrkThreads: number;
  readonly warmupSeconds: number;
  readonly floorSeconds: number;
  readonly valueBytes: number;
  readonly readKeys: number;
  readonly out: string | null;
  readonly keep: boolean;
}

function options(o: Record<string, unknown>): Options {
  const kinds = list(o.loads);
  for (const k of kinds)
    if (!LOAD_KINDS.includes(k as LoadKind))
      throw new UsageError(`--loads: unknown load ${k} (known: ${LOAD_KINDS.join(', ')})`);
  const h2 = /^(\d+)x(\d+)$/.exec(String(o.h2));
  if (!h2) throw new UsageError(`--h2 must be <connections>x<streams>, e.g. 4x16, not ${String(o.h2)}`);
  if (o.only !== undefined && o.only !== 'kvd' && o.only !== 'etcd')
    throw new UsageError(`--only must be kvd or etcd, not ${String(o.only)}`);
  return {
    members: int('members', o.members, 1, 7),
    seconds: int('duration', o.duration, 1, 3600),
    rounds: int('rounds', o.rounds, 1, 100),
    systems: o.only ? [o.only as System] : ['kvd', 'etcd'],
    loads: plannedLoads({
      kinds: kinds as LoadKind[],
      putConnections: list(o.connections).map((c) => int('connections', c, 1, 10_000)),
      getConnections: int('get-connections', o.getConnections, 1, 10_000),
      h2Connections: int('h2', h2[1], 1, 1000),
      h2Streams: int('h2', h2[2], 1, 1000),
    }),
    wrkThreads: int('wrk-threads', o.wrkThreads, 1, 64),
    warmupSeconds: int('warmup', o.warmup, 0, 600),
    floorSeconds: int('floor-seconds', o.floorSeconds, 0, 600),
    valueBytes: int('value-bytes', o.valueBytes, 1, 1 << 20),
    readKeys: int('read-keys', o.readKeys, 1, 1_000_000),
    out: o.out === undefined ? null : String(o.out),
    keep: o.keep === true,
  };
}

/** Stops with a message naming what to install when a tool the run needs is missing. */
function checkTools(opts: Options): void {
  const missing: string[] = [];
  const needs = (kinds: LoadKind[]) => opts.loads.some((l) => kinds.includes(l.kind));
  if (needs(['seq', 'put', 'get', 'qget']) && !installed('wrk', '-v'))
    missing.push('wrk (apt-get install wrk), or leave its loads out with --loads h2get,h2post');
  if (needs(['h2get', 'h2post']) && !installed('h2load', '--version'))
    missing.push('h2load (apt-get install nghttp2-client), or leave it out with --loads seq,put,get,qget');
  if (opts.systems.includes('etcd') && !installed('etcd', '--version'))
    missing.push('etcd 3.4 (apt-get install etcd-server), or run kvd alone with --only kvd');
  if (!installed('openssl', 'version')) missing.push('openssl (apt-get install openssl), for the TLS client URLs');
  if (opts.systems.includes('kvd') && !existsSync(join(root, 'dist/cmd/kvd.js')))
    missing.push('dist/cmd/kvd.js: run npm run build');
  if (missing.length > 0) throw new UsageError(`cannot run the benchmark; missing:\n  ${missing.join('\n  ')}`);
}

function valueOf(bytes: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < bytes; i++) s += alphabet[i % alphabet.length];
  return s;
}

function git(args: string[]): string | null {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function etcdVersion(): string {
  return /etcd Version: (\S+)/.exec(firstLine('etcd', ['--version']))?.[1] ?? 'unknown';
}

const log = (line: string) => console.error(line);

function brief(f: Figures): string {
  const l = f.latencyMs;
  return (
    `${f.rate.toFixed(0)} req/s, p50 ${l.p50.toFixed(2)} p99 ${l.p99.toFixed(2)} p99.9 ${l.p999.toFixed(2)} ms` +
    `${f.cpuPer1000 !== undefined ? `, CPU ${f.cpuPer1000.toFixed(3)} s/1k` : ''}` +
    `${f.errors > 0 ? `, ${f.errors} errors` : ''}${f.termChanged ? ', AN ELECTION HAPPENED' : ''}`
  );
}

async function measureSystem(
  system: System,
  opts: Options,
  dir: string,
  certs: Certs,
  ctx: LoadContext,
): Promise<Record<string, Figures>> {
  mkdirSync(dir, { recursive: true });
  const cluster = await Cluster.start(system, opts.members, dir, certs);
  try {
    const leader = await cluster.leader();
    log(
      `${system}: ${opts.members} member${opts.members > 1 ? 's' : ''} up, leader ${leader.name} (${leader.clientURL}, ${leader.tlsClientURL})`,
    );
    await preload(leader.clientURL, READ_PREFIX, opts.readKeys, ctx.value);
    if (opts.warmupSeconds > 0) {
      const warmup: Load = { id: 'warmup', label: 'warm-up', kind: 'put', connections: 16, streams: 1 };
      await runLoad(warmup, leader, { ...ctx, seconds: opts.warmupSeconds });
    }
    const out: Record<string, Figures> = {};
    for (const load of opts.loads) {
      cluster.checkAlive(`before ${load.label}`);
      const term = await cluster.termSeenBy(leader, `${READ_PREFIX}0`);
      const cpu0 = cluster.cpuSeconds();
      const f = await runLoad(load, leader, ctx);
      cluster.checkAlive(`during ${load.label}`);
      const cpu = cluster.cpuSeconds() - cpu0;
      const termChanged = (await cluster.termSeenBy(leader, `${READ_PREFIX}0`)) !== term;
      const figures: Figures = {
        ...f,
        cpuPer1000: f.requests > 0 ? (cpu / f.requests) * 1000 : 0,
        ...(termChanged ? { termChanged } : {}),
      };
      log(`  ${system} ${load.label}: ${brief(figures)}`);
      out[load.id] = figures;
    }
    return out;
  } finally {
    cluster.stop();
  }
}

async function makeCerts(dir: string): Promise<Certs> {
  const r = await run(join(root, 'tools/make-certs.sh'), [dir, '2'], 60_000);
  if (r.code !== 0) throw new Error(`tools/make-certs.sh failed: ${r.stderr}`);
  return { certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server-key.pem') };
}

async function bench(opts: Options): Promise<void> {
  checkTools(opts);
  const work = mkdtempSync(join(os.tmpdir(), 'kvd-bench-'));
  if (opts.keep) log(`temp dir (kept): ${work}`);
  else atExit(() => removeDir(work));
  if (opts.systems.includes('etcd') && !etcdVersion().startsWith('3.4.'))
    log(`warning: etcd ${etcdVersion()} is not the 3.4 the figures are meant against`);
  const certs = await makeCerts(join(work, 'certs'));
  const value = valueOf(opts.valueBytes);
  const ctx: LoadContext = {
    dir: work,
    seconds: opts.seconds,
    value,
    readKeys: opts.readKeys,
    wrkThreads: opts.wrkThreads,
  };

  const rounds: Record<System, Record<string, Figures>[]> = { kvd: [], etcd: [] };
  const floors: Floor[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    if (opts.rounds > 1) log(`round ${round} of ${opts.rounds}`);
    if (opts.floorSeconds > 0) {
      const floor = await measureFloor(work, opts.members, opts.floorSeconds);
      log(
        `floor: fsync p50 ${floor.fsyncP50Ms.toFixed(3)} ms, PING p50 ${floor.pingP50Ms.toFixed(3)} ms → ${floor.floorMs.toFixed(3)} ms`,
      );
      floors.push(floor);
    }
    // Alternate which system goes first, so neither always gets the quieter minutes.
    const order = round % 2 === 1 ? opts.systems : [...opts.systems].reverse();
    for (const system of order) {
      const dir = join(work, `round${round}`, system);
      rounds[system].push(await measureSystem(system, opts, dir, certs, ctx));
      if (!opts.keep) removeDir(dir);
    }
  }

  const systems: Partial<Record<System, SystemResult>> = {};
  for (const s of opts.systems) {
    const version =
      s === 'kvd'
        ? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version
        : etcdVersion();
    systems[s] = { version, median: medianOfRounds(rounds[s]), rounds: rounds[s] };
  }
  const commit = git(['rev-parse', 'HEAD']);
  const result: BenchResult = {
    format: RESULT_FORMAT,
    commit,
    dirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      kernel: os.release(),
      node: process.version,
      fs: firstLine('stat', ['-f', '-c', '%T', work]),
      wrk: firstLine('wrk', ['-v']),
      h2load: firstLine('h2load', ['--version']),
    },
    parameters: {
      members: opts.members,
      seconds: opts.seconds,
      rounds: opts.rounds,
      warmupSeconds: opts.warmupSeconds,
      floorSeconds: opts.floorSeconds,
      valueBytes: opts.valueBytes,
      readKeys: opts.readKeys,
      wrkThreads: opts.wrkThreads,
      loads: opts.loads,
    },
    floor: medianFloor(floors),
    floorRounds: floors,
    systems,
  };
  const out =
    opts.out ??
    join(os.tmpdir(), `kvd-bench-${result.date.replace(/[:.]/g, '-')}-${(commit ?? 'nocommit').slice(0, 10)}.json`);
  writeResult(out, result);
  console.log(`\n${formatRun(result).join('\n')}`);
  console.log(`\nresult file: ${out}\ncompare with another run: npm run bench -- --compare OLD.json ${out}`);
}

async function main(): Promise<void> {
  const parsed = cli.parse();
  if (parsed.options.help) return;
  if (parsed.options.compare) {
    if (parsed.args.length !== 2) throw new UsageError('--compare takes two result files: --compare old.json new.json');
    console.log(formatCompare(readResult(String(parsed.args[0])), readResult(String(parsed.args[1]))).join('\n'));
    return;
  }
  if (parsed.args.length > 0) throw new UsageError(`unexpected argument ${String(parsed.args[0])} (see --help)`);
  await bench(options(parsed.options));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
