// node --import tsx tools/bench/history-stall.ts [--keys N] [--log L] [--rounds R] [--worker]
// (or, after npm run build, node dist/tools/bench/history-stall.js ...: with
// --worker, the worker thread then runs compiled code as a member's does)
//
// How long does a history catch-up hold a member's event loop, and how much
// CPU does it cost? Builds a data dir whose newest snapshot holds N keys
// (default 100,000, 64-byte values) followed by L more writes in the log
// (default 3000), then, R times, lets a fresh History (lib/history, as a
// member runs it; with --worker its replays run on a worker thread as a
// member's do) answer one watch from just after the snapshot: the replay
// reads the snapshot, rebuilds its tree, and applies the log after it (up to
// the first event, or with --whole-log up to a key written after the log).
// perf_hooks.monitorEventLoopDelay (1 ms resolution) records the event
// loop's delays meanwhile; the figures are the longest one and the CPU
// seconds of the catch-up (this thread's, and the process's with its
// workers), medians over the rounds (JSON on stdout).

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { cac } from 'cac';
import { pino } from 'pino';
import { History } from '../../lib/history/index.js';
import { encodeProposal } from '../../lib/proposal/index.js';
import { historyCodec, StateMachine } from '../../lib/state/index.js';
import { SnapshotStore, Wal } from '../../lib/storage/index.js';
import { Store, type Event, type StoreRequest } from '../../lib/store/index.js';
import type { Entry, Index, MemberId, Term } from '../../lib/wire/index.js';
import { atExit, removeDir } from './procs.js';

const cli = cac('node --import tsx tools/bench/history-stall.ts');
cli.option('--keys <n>', 'keys in the snapshot the replay starts from', { default: '100000' });
cli.option('--log <n>', 'writes in the log after the snapshot', { default: '3000' });
cli.option('--whole-log', 'watch a key written only after the log, so that the replay applies all of it');
cli.option('--worker', "replay on a worker thread (lib/server's history worker), as a member does");
cli.option('--rounds <n>', 'catch-ups measured (each with a fresh History); the figure is the median', {
  default: '5',
});
cli.help();

const log = (s: string): void => void process.stderr.write(s + '\n');
const MEMBER = '8e9e05c52164694d' as MemberId;
const BATCH = 1000;
/** Written once, after the log: a watch of it from the snapshot on needs the whole log replayed. */
const LAST_KEY = '/last';

function int(name: string, v: unknown, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}, not ${String(v)}`);
  return n;
}

/** A data dir: `keys` writes, a snapshot of them, `tail` more in the log; and the live state after all. */
async function buildDataDir(
  dir: string,
  keys: number,
  tail: number,
): Promise<{ sm: StateMachine; snapshotIndex: number }> {
  const wal = Wal.create(dir, { memberId: MEMBER, clusterId: 'cdf818194e3a8c32' });
  const sm = new StateMachine(new Store());
  let index = 0;
  const write = (count: number, name: (i: number) => string): void => {
    for (let done = 0; done < count; done += BATCH) {
      const batch: Entry[] = [];
      for (let i = done; i < Math.min(count, done + BATCH); i++) {
        const body: StoreRequest = {
          op: 'put',
          path: name(i),
          value: 'v'.repeat(64),
          dir: false,
          ttl: null,
          refresh: false,
        };
        const e: Entry = {
          index: ++index as Index,
          term: 1 as Term,
          type: 'normal',
          data: encodeProposal({ origin: 'a', seq: 0, time: Date.now(), body }),
        };
        batch.push(e);
        sm.apply(e);
      }
      wal.append(batch, { term: 1 as Term, vote: MEMBER, commit: index as Index }, false);
    }
  };
  write(keys, (i) => `/app/d${i % 1000}/key${i}`);
  const meta = { index: index as Index, term: 1 as Term, conf: { voters: [MEMBER] } };
  await new SnapshotStore(dir).save({ meta, data: sm.snapshotData() });
  wal.markSnapshot(meta);
  const snapshotIndex = sm.store.index;
  write(tail, (i) => `/tail/k${i % 100}`);
  write(1, () => LAST_KEY);
  wal.close();
  return { sm, snapshotIndex };
}

/** CPU seconds this process's main thread has used (/proc/self/task/PID is the main thread). */
function mainThreadCpuSeconds(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // In clock ticks, 100 per second on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface CatchUp {
  readonly maxMs: number;
  readonly p99Ms: number;
  readonly ms: number;
  /** CPU seconds of the catch-up: the main thread's, and the process's (all threads). */
  readonly mainCpu: number;
  readonly cpu: number;
}

async function oneCatchUp(
  dir: string,
  sm: StateMachine,
  since: number,
  worker: boolean,
  wholeLog: boolean,
): Promise<CatchUp> {
  const history = new History({
    dataDir: dir,
    codec: historyCodec,
    store: () => sm.store,
    logger: pino({ level: 'silent' }),
    ...(worker ? { replayWorker: import.meta.resolve('../../lib/server/history-worker.js') } : {}),
  });
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuSeconds();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const t0 = performance.now();
  delay.enable();
  try {
    await new Promise<Event>((resolve, reject) => {
      history.watch(wholeLog ? LAST_KEY : '/', { recursive: true, stream: false, sinceIndex: since }, resolve, () =>
        reject(new Error('the watch ended without an event')),
      );
    });
  } finally {
    delay.disable();
    await history.close();
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    maxMs: delay.max / 1e6,
    p99Ms: delay.percentile(99) / 1e6,
    ms: performance.now() - t0,
    mainCpu: mainThreadCpuSeconds() - main0,
    cpu: (cpu.user + cpu.system) / 1e6,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

async function main(): Promise<void> {
  const parsed = cli.parse();
  if (parsed.options['help']) return;
  const keys = int('keys', parsed.options['keys'], 1, 10_000_000);
  const rounds = int('rounds', parsed.options['rounds'], 1, 100);
  const tail = int('log', parsed.options['log'], 1, 10_000_000);
  const worker = parsed.options['worker'] === true;
  const wholeLog = parsed.options['wholeLog'] === true;
  const dir = mkdtempSync(join(os.tmpdir(), 'kvd-bench-history-stall-'));
  atExit(() => removeDir(dir));
  log(`building a data dir with a ${keys}-key snapshot and ${tail} writes after it`);
  const { sm, snapshotIndex } = await buildDataDir(dir, keys, tail);
  const results = [];
  for (let round = 1; round <= rounds; round++) {
    const r = await oneCatchUp(dir, sm, snapshotIndex + 1, worker, wholeLog);
    results.push(r);
    log(
      `round ${round}: catch-up ${r.ms.toFixed(0)} ms, longest event-loop delay ${r.maxMs.toFixed(1)} ms (p99 ${r.p99Ms.toFixed(1)} ms), ` +
        `CPU ${r.mainCpu.toFixed(2)} s on the main thread, ${r.cpu.toFixed(2)} s in all`,
    );
  }
  const out = {
    keys,
    log: tail,
    worker,
    wholeLog,
    rounds: results.map((r) => ({
      catchUpMs: Math.round(r.ms),
      maxDelayMs: r.maxMs,
      p99DelayMs: r.p99Ms,
      mainThreadCpuSeconds: r.mainCpu,
      cpuSeconds: r.cpu,
    })),
    medianMaxDelayMs: median(results.map((r) => r.maxMs)),
    medianCatchUpMs: median(results.map((r) => r.ms)),
    medianMainThreadCpuSeconds: median(results.map((r) => r.mainCpu)),
    medianCpuSeconds: median(results.map((r) => r.cpu)),
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  log(
    `catch-up from a ${keys}-key snapshot and ${tail} entries${worker ? ' on a worker thread' : ''}: longest event-loop delay ` +
      `${out.medianMaxDelayMs.toFixed(1)} ms, CPU ${out.medianMainThreadCpuSeconds.toFixed(2)} s on the main thread, ` +
      `${out.medianCpuSeconds.toFixed(2)} s in all (medians of ${rounds})`,
  );
}

main().catch((err: unknown) => {
  log(`history-stall: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
