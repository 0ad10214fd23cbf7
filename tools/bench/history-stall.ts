// node --import tsx tools/bench/history-stall.ts [--keys N] [--rounds R]
//
// How long does a history catch-up hold a member's event loop? Builds a data
// dir whose newest snapshot holds N keys (default 100,000, 64-byte values)
// followed by 3000 more writes in the log, then, R times, lets a fresh
// History (lib/history, as a member runs it) answer one watch from just after
// the snapshot: the replay reads the snapshot, rebuilds its tree, and applies
// the log after it. perf_hooks.monitorEventLoopDelay (1 ms resolution)
// records the event loop's delays meanwhile; the figure is the longest one,
// median over the rounds (JSON on stdout).

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
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
cli.option('--rounds <n>', 'catch-ups measured (each with a fresh History); the figure is the median', {
  default: '5',
});
cli.help();

const log = (s: string): void => void process.stderr.write(s + '\n');
const MEMBER = '8e9e05c52164694d' as MemberId;
const TAIL_WRITES = 3000;
const BATCH = 1000;

function int(name: string, v: unknown, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}, not ${String(v)}`);
  return n;
}

/** A data dir: `keys` writes, a snapshot of them, TAIL_WRITES more in the log; and the live state after all. */
async function buildDataDir(dir: string, keys: number): Promise<{ sm: StateMachine; snapshotIndex: number }> {
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
  write(TAIL_WRITES, (i) => `/tail/k${i % 100}`);
  wal.close();
  return { sm, snapshotIndex };
}

async function oneCatchUp(
  dir: string,
  sm: StateMachine,
  since: number,
): Promise<{ maxMs: number; p99Ms: number; ms: number }> {
  const history = new History({
    dataDir: dir,
    codec: historyCodec,
    store: () => sm.store,
    logger: pino({ level: 'silent' }),
  });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const t0 = performance.now();
  delay.enable();
  try {
    await new Promise<Event>((resolve, reject) => {
      history.watch('/', { recursive: true, stream: false, sinceIndex: since }, resolve, () =>
        reject(new Error('the watch ended without an event')),
      );
    });
  } finally {
    delay.disable();
    await history.close();
  }
  return { maxMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6, ms: performance.now() - t0 };
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
  const dir = mkdtempSync(join(os.tmpdir(), 'kvd-bench-history-stall-'));
  atExit(() => removeDir(dir));
  log(`building a data dir with a ${keys}-key snapshot and ${TAIL_WRITES} writes after it`);
  const { sm, snapshotIndex } = await buildDataDir(dir, keys);
  const results = [];
  for (let round = 1; round <= rounds; round++) {
    const r = await oneCatchUp(dir, sm, snapshotIndex + 1);
    results.push(r);
    log(
      `round ${round}: catch-up ${r.ms.toFixed(0)} ms, longest event-loop delay ${r.maxMs.toFixed(1)} ms (p99 ${r.p99Ms.toFixed(1)} ms)`,
    );
  }
  const out = {
    keys,
    rounds: results.map((r) => ({ catchUpMs: Math.round(r.ms), maxDelayMs: r.maxMs, p99DelayMs: r.p99Ms })),
    medianMaxDelayMs: median(results.map((r) => r.maxMs)),
    medianCatchUpMs: median(results.map((r) => r.ms)),
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  log(
    `longest event-loop delay during a catch-up from a ${keys}-key snapshot: ${out.medianMaxDelayMs.toFixed(1)} ms (median of ${rounds})`,
  );
}

main().catch((err: unknown) => {
  log(`history-stall: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
