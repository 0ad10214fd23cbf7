// npm run bench:history [-- options]
//
// Do watches served from the log slow ordinary writes? Each round starts a
// fresh kvd cluster (from dist/), writes enough to push the first watchers
// past the in-memory window, then measures the same PUT load (wrk, HTTP/1.1
// keep-alive, the writes cycling over `--keys` (1000) keys) in `--pairs` (1)
// pairs, alternating which of the pair goes first: alone, and while 100
// watchers catch up (a round's later pairs find the window the first one's
// replay left, so they measure watchers answered from memory). Watcher i watches key i; it starts at i/N of 70 % of
// the way into the load, asks for the events of its key from `--behind`
// (2500) events back, older than the 1000 events kvd keeps in memory, so kvd
// answers from the log, and follows them one long poll at a time until it
// has caught up (an event newer than where it started).
//
// Each pair gives a ratio (with watchers / alone) of the PUT rate, of kvd's
// CPU seconds per 1000 writes (all threads) and of its main threads' CPU
// seconds per 1000 writes (the event loops, without worker threads and
// libuv's pool); the figures are the medians over all pairs, with the
// quartiles and the range, so that the spread says how far the machine's
// noise lets the median decide. Each load also reports how many replays of
// the log the watchers caused (kvd_history_replays_total).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { cac } from 'cac';
import { Cluster, type Certs, type Member } from './cluster.js';
import type { Figures } from './figures.js';
import { atExit, installed, removeDir, run } from './procs.js';
import { parseWrk, wrkScript } from './wrk.js';

const root = new URL('../..', import.meta.url).pathname.replace(/\/dist\/$/, '/');
const HOT_PREFIX = '/bench/hist/w';

const cli = cac('npm run bench:history --');
cli.option('--members <n>', 'members of the cluster', { default: '1' });
cli.option('--duration <s>', 'seconds per measured load', { default: '8' });
cli.option('--rounds <n>', 'rounds (each starts a fresh cluster)', { default: '3' });
cli.option(
  '--pairs <n>',
  'pairs of loads (alone, with watchers) per round; the figures are medians over all pairs. Pairs after a ' +
    "round's first find the window the first one's replay left (kvd keeps it 60 s): only a round's first pair measures a replay",
  { default: '1' },
);
cli.option('--connections <n>', 'wrk connections of the PUT load', { default: '16' });
cli.option('--watchers <n>', 'history watchers that catch up during the load', { default: '100' });
cli.option('--behind <n>', 'how many events back each watcher starts', { default: '2500' });
cli.option('--keys <n>', 'keys the PUT load cycles over (the watchers watch the first ones)', { default: '1000' });
cli.option('--keep', 'keep the temp dir (member logs, data dirs) and print where it is');
cli.help();

interface Options {
  readonly members: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly pairs: number;
  readonly connections: number;
  readonly watchers: number;
  readonly behind: number;
  readonly keys: number;
  readonly keep: boolean;
}

interface WatcherStats {
  /** Watchers that caught up before the load ended. */
  readonly caughtUp: number;
  /** Long polls made, and how many of them asked for an index older than the in-memory window. */
  readonly requests: number;
  readonly fromLog: number;
  readonly events: number;
  readonly errors: number;
  /** Slowest catch-up, ms. */
  readonly maxCatchUpMs: number;
}

interface Load {
  readonly figures: Figures;
  /** kvd's CPU seconds over the load, all members. */
  readonly cpuSeconds: number;
  /** The members' main threads' CPU seconds over the load. */
  readonly mainCpuSeconds: number;
  /** Replays of the log started for watches during the load, all members. */
  readonly replays: number;
}

interface Pair {
  readonly round: number;
  readonly alone: Load;
  readonly withWatchers: Load;
  readonly watchers: WatcherStats;
}

const log = (s: string): void => void process.stderr.write(s + '\n');

function int(name: string, v: unknown, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}, not ${String(v)}`);
  return n;
}

function getJson(
  agent: http.Agent,
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ status: number; index: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: timeoutMs, ...(signal ? { signal } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve({
            status: res.statusCode ?? 0,
            index: Number(res.headers['x-etcd-index']),
            body: body === '' ? null : JSON.parse(body),
          });
        } catch {
          reject(new Error(`${url}: ${res.statusCode} ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Replays of the log a member started for watches so far (kvd_history_replays_total{purpose="watch"}). */
async function watchReplays(m: Member): Promise<number> {
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get(`${m.clientURL}/metrics`, { timeout: 10_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
  const line = /^kvd_history_replays_total\{purpose="watch"\} (\d+)$/m.exec(body);
  return line === null ? 0 : Number(line[1]);
}

const allReplays = async (members: readonly Member[]): Promise<number> =>
  (await Promise.all(members.map(watchReplays))).reduce((a, b) => a + b, 0);

/** One watcher's catch-up: the events of its key from `behind` back until one newer than where it started. */
async function catchUp(
  agent: http.Agent,
  base: string,
  key: string,
  behind: number,
  signal: AbortSignal,
): Promise<{ requests: number; fromLog: number; events: number; ms: number } | null> {
  const started = Date.now();
  const first = await getJson(agent, `${base}/v2/keys${key}`, 10_000, signal);
  const startIndex = first.index;
  let wait = Math.max(1, startIndex - behind);
  let requests = 0;
  let fromLog = 0;
  let events = 0;
  while (!signal.aborted) {
    const r = await getJson(agent, `${base}/v2/keys${key}?wait=true&waitIndex=${wait}`, 60_000, signal);
    requests++;
    // kvd keeps the last 1000 events in memory (etcd's window): anything older came from the log.
    if (wait < r.index - 1000) fromLog++;
    if (r.status !== 200 || r.body === null)
      throw new Error(`watch ${key} from ${wait}: ${r.status} ${JSON.stringify(r.body)}`);
    events++;
    const modified = r.body.node.modifiedIndex as number;
    if (modified > startIndex) return { requests, fromLog, events, ms: Date.now() - started };
    wait = modified + 1;
  }
  return null;
}

/** Starts the watchers; `end()` (once the load is over) stops them and resolves with what they did. */
function startWatchers(leader: Member, opts: Options): { end(): Promise<WatcherStats> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.watchers + 4 });
  const ended = new AbortController();
  // Every watcher's requests listen on this one signal.
  setMaxListeners(opts.watchers * 2 + 10, ended.signal);
  let requests = 0;
  let fromLog = 0;
  let events = 0;
  let errors = 0;
  let caughtUp = 0;
  let maxCatchUpMs = 0;
  const spread = (opts.seconds * 1000 * 0.7) / opts.watchers;
  const all = Promise.all(
    Array.from({ length: opts.watchers }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * spread));
      if (ended.signal.aborted) return;
      try {
        const r = await catchUp(agent, leader.clientURL, `${HOT_PREFIX}${i}`, opts.behind, ended.signal);
        if (r === null) return;
        caughtUp++;
        requests += r.requests;
        fromLog += r.fromLog;
        events += r.events;
        maxCatchUpMs = Math.max(maxCatchUpMs, r.ms);
      } catch (err) {
        if (ended.signal.aborted) return; // its long poll was cut when the load ended
        errors++;
        if (errors === 1) log(`  watcher ${i}: ${(err as Error).message}`);
      }
    }),
  );
  return {
    async end(): Promise<WatcherStats> {
      ended.abort();
      await all;
      agent.destroy();
      return { caughtUp, requests, fromLog, events, errors, maxCatchUpMs };
    },
  };
}

async function putLoad(leader: Member, opts: Options, dir: string, seconds: number): Promise<Figures> {
  const script = join(dir, 'hot-put.lua');
  writeFileSync(
    script,
    wrkScript({ kind: 'putKeys', prefix: `/v2/keys${HOT_PREFIX}`, count: opts.keys, value: 'x'.repeat(64) }),
  );
  const args = [
    '-t',
    '2',
    '-c',
    String(opts.connections),
    '-d',
    `${seconds}s`,
    '--timeout',
    '60s',
    '-s',
    script,
    leader.clientURL,
  ];
  const r = await run('wrk', args, (seconds + 90) * 1000);
  if (r.code !== 0) throw new Error(`wrk ${args.join(' ')} exited with ${r.code}: ${r.stderr.slice(-2000)}`);
  return parseWrk(r.stdout);
}

async function oneRound(round: number, opts: Options, work: string, certs: Certs): Promise<Pair[]> {
  const dir = join(work, `round${round}`);
  const cluster = await Cluster.start('kvd', opts.members, dir, certs);
  try {
    const leader = await cluster.leader();
    log(`round ${round}: cluster up, writing the history the watchers will read`);
    // Enough writes that the first watcher's start lies behind the in-memory window, then a warm-up.
    await putLoad(leader, opts, dir, 3);
    const now = await getJson(new http.Agent(), `${leader.clientURL}/v2/keys/`, 5000);
    if (now.index < opts.behind + 1000) await putLoad(leader, opts, dir, 3);
    const measure = async (withWatchers: boolean): Promise<{ load: Load; w: WatcherStats | null }> => {
      log(`round ${round}: PUT load ${withWatchers ? `with ${opts.watchers} history watchers` : 'alone'}`);
      const replays0 = await allReplays(cluster.members);
      const cpu0 = cluster.cpuSeconds();
      const main0 = cluster.mainThreadCpuSeconds();
      const watching = withWatchers ? startWatchers(leader, opts) : null;
      const f = await putLoad(leader, opts, dir, opts.seconds);
      const w = watching === null ? null : await watching.end();
      cluster.checkAlive('measuring');
      const cpu = cluster.cpuSeconds() - cpu0;
      const mainCpu = cluster.mainThreadCpuSeconds() - main0;
      const replays = (await allReplays(cluster.members)) - replays0;
      const figures = { ...f, cpuPer1000: f.requests > 0 ? (cpu / f.requests) * 1000 : 0 };
      return { load: { figures, cpuSeconds: cpu, mainCpuSeconds: mainCpu, replays }, w };
    };
    const pairs: Pair[] = [];
    for (let p = 0; p < opts.pairs; p++) {
      // Alternate which goes first (ABBA...), so neither always gets the quieter seconds or the shorter log.
      const watchersFirst = (round + p) % 2 === 0;
      const a = await measure(watchersFirst);
      const b = await measure(!watchersFirst);
      const alone = watchersFirst ? b : a;
      const watched = watchersFirst ? a : b;
      if (watched.w === null) throw new Error('the watchers did not run');
      pairs.push({ round, alone: alone.load, withWatchers: watched.load, watchers: watched.w });
    }
    return pairs;
  } finally {
    cluster.stop();
  }
}

/** The q-quantile of xs (linear between the nearest ranks). */
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((x, y) => x - y);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const low = s[lo] ?? NaN;
  return low + ((s[Math.ceil(at)] ?? NaN) - low) * (at - lo);
};
const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** A ratio's change in percent, its median, quartiles and range over the pairs. */
interface Spread {
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  readonly min: number;
  readonly max: number;
}

function spread(ratios: readonly number[]): Spread {
  const pct = (r: number): number => Number(((r - 1) * 100).toFixed(2));
  return {
    median: pct(median(ratios)),
    q1: pct(quantile(ratios, 0.25)),
    q3: pct(quantile(ratios, 0.75)),
    min: pct(Math.min(...ratios)),
    max: pct(Math.max(...ratios)),
  };
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
const showSpread = (s: Spread): string =>
  `${signed(s.median)} % (quartiles ${signed(s.q1)} .. ${signed(s.q3)}, range ${signed(s.min)} .. ${signed(s.max)})`;

async function main(): Promise<void> {
  const parsed = cli.parse();
  if (parsed.options['help']) return;
  const o = parsed.options;
  const opts: Options = {
    members: int('members', o['members'], 1, 7),
    seconds: int('duration', o['duration'], 2, 600),
    rounds: int('rounds', o['rounds'], 1, 50),
    pairs: int('pairs', o['pairs'], 1, 20),
    connections: int('connections', o['connections'], 1, 1024),
    watchers: int('watchers', o['watchers'], 1, 10_000),
    behind: int('behind', o['behind'], 1001, 1_000_000),
    keys: int('keys', o['keys'], 1, 1_000_000),
    keep: o['keep'] === true,
  };
  if (!installed('wrk', '--version')) throw new Error('wrk is not installed (Debian: apt-get install wrk)');
  const work = mkdtempSync(join(os.tmpdir(), 'kvd-bench-history-'));
  if (opts.keep) log(`temp dir (kept): ${work}`);
  else atExit(() => removeDir(work));
  const certsDir = join(work, 'certs');
  const made = await run(join(root, 'tools/make-certs.sh'), [certsDir, '2'], 60_000);
  if (made.code !== 0) throw new Error(`tools/make-certs.sh failed: ${made.stderr}`);
  const certs: Certs = { certFile: join(certsDir, 'server.pem'), keyFile: join(certsDir, 'server-key.pem') };

  const loadAtStart = os.loadavg()[0] ?? NaN;
  const pairs: Pair[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    for (const r of await oneRound(round, opts, work, certs)) {
      pairs.push(r);
      const w = r.watchers;
      const a = r.alone;
      const b = r.withWatchers;
      const perK = (l: Load, cpu: number): string => ((cpu / Math.max(1, l.figures.requests)) * 1000).toFixed(4);
      log(
        `round ${round}: PUT alone ${a.figures.rate.toFixed(0)}/s (kvd CPU ${a.cpuSeconds.toFixed(2)} s, main threads ${a.mainCpuSeconds.toFixed(2)} s; ` +
          `per 1000 writes ${perK(a, a.cpuSeconds)} / ${perK(a, a.mainCpuSeconds)} s), ` +
          `with watchers ${b.figures.rate.toFixed(0)}/s (kvd CPU ${b.cpuSeconds.toFixed(2)} s, main threads ${b.mainCpuSeconds.toFixed(2)} s; ` +
          `per 1000 writes ${perK(b, b.cpuSeconds)} / ${perK(b, b.mainCpuSeconds)} s) ` +
          `(${signed((b.figures.rate / a.figures.rate - 1) * 100)} %); ${b.replays} replays of the log; watchers caught up ${w.caughtUp}/${opts.watchers}, ` +
          `${w.requests} long polls (${w.fromLog} from the log), slowest catch-up ${w.maxCatchUpMs} ms, ${w.errors} errors`,
      );
    }
  }
  const loadAtEnd = os.loadavg()[0] ?? NaN;
  const perWrite = (l: Load, cpu: number): number => cpu / Math.max(1, l.figures.requests);
  const rate = spread(pairs.map((r) => r.withWatchers.figures.rate / r.alone.figures.rate));
  const cpu = spread(
    pairs.map((r) => perWrite(r.withWatchers, r.withWatchers.cpuSeconds) / perWrite(r.alone, r.alone.cpuSeconds)),
  );
  const mainCpu = spread(
    pairs.map(
      (r) => perWrite(r.withWatchers, r.withWatchers.mainCpuSeconds) / perWrite(r.alone, r.alone.mainCpuSeconds),
    ),
  );
  const result = {
    members: opts.members,
    keys: opts.keys,
    seconds: opts.seconds,
    connections: opts.connections,
    watchers: opts.watchers,
    behind: opts.behind,
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    pairs: pairs.map((r) => ({
      round: r.round,
      aloneRate: Math.round(r.alone.figures.rate),
      withWatchersRate: Math.round(r.withWatchers.figures.rate),
      aloneCpuSeconds: r.alone.cpuSeconds,
      withWatchersCpuSeconds: r.withWatchers.cpuSeconds,
      aloneMainThreadCpuSeconds: r.alone.mainCpuSeconds,
      withWatchersMainThreadCpuSeconds: r.withWatchers.mainCpuSeconds,
      aloneCpuPer1000: r.alone.figures.cpuPer1000,
      withWatchersCpuPer1000: r.withWatchers.figures.cpuPer1000,
      aloneP99Ms: r.alone.figures.latencyMs.p99,
      withWatchersP99Ms: r.withWatchers.figures.latencyMs.p99,
      errors: r.alone.figures.errors + r.withWatchers.figures.errors,
      replays: r.withWatchers.replays,
      watchers: r.watchers,
    })),
    /** Changes in percent, with watchers against alone: median, quartiles and range over the pairs. */
    rateChangePercent: rate,
    cpuPerWriteChangePercent: cpu,
    mainThreadCpuPerWriteChangePercent: mainCpu,
    medianReplays: median(pairs.map((r) => r.withWatchers.replays)),
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  log(
    `${pairs.length} pairs (${opts.rounds} rounds x ${opts.pairs}), ${opts.members} member(s), load average ${loadAtStart.toFixed(2)} / ${loadAtEnd.toFixed(2)}; ` +
      `with ${opts.watchers} history watchers catching up, against alone (budget: rate -5 %):\n` +
      `  PUT rate                         ${showSpread(rate)}\n` +
      `  kvd CPU per write (all threads)  ${showSpread(cpu)}\n` +
      `  main threads' CPU per write      ${showSpread(mainCpu)}\n` +
      `  median ${result.medianReplays} replays of the log per load`,
  );
  if (opts.keys < opts.watchers) log('warning: fewer keys than watchers: some watchers wait for a key nobody writes');
  const incomplete = pairs.some((r) => r.watchers.caughtUp < opts.watchers || r.watchers.fromLog === 0);
  if (incomplete) log('warning: not every watcher caught up from the log in every load; see the rounds above');
}

main().catch((err: unknown) => {
  log(`bench:history: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
