// node --import tsx tools/bench/storage.ts [--dir DIR] [--seconds 3] [--entries 1000000]
//
// Write-ahead log throughput on this machine's disk: appends of 256-byte
// entries in batches of 1, 8, 64 and 256 (one write + one fdatasync per
// batch, a hard state in each), then how fast a restart replays a log of
// --entries entries. Runs in a fresh directory under --dir (default: the OS
// temp dir, which must be on a real disk for fsync to mean anything).

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cac } from 'cac';
import { asIndex, asMemberId, asTerm, type Entry } from '../../lib/wire/index.js';
import { Wal, type WalOptions } from '../../lib/storage/index.js';
import { percentile } from './figures.js';
import { table } from './report.js';

const ENTRY_BYTES = 256;
const BATCH_SIZES = [1, 8, 64, 256];

const cli = cac('bench-storage');
cli.option('--dir <dir>', 'where to create the temporary data directories', { default: os.tmpdir() });
cli.option('--seconds <s>', 'seconds per batch size', { default: 3 });
cli.option('--entries <n>', 'entries in the replayed log', { default: 1_000_000 });
const { options } = cli.parse();
const seconds = Number(options.seconds);
const replayEntries = Number(options.entries);
if (!(seconds > 0) || !Number.isSafeInteger(replayEntries) || replayEntries < 1) {
  console.error('--seconds must be > 0 and --entries a positive integer');
  process.exit(2);
}

const opts: WalOptions = { memberId: '8e9e05c52164694d', clusterId: 'cdf818194e3a8c32' };
const work = fs.mkdtempSync(join(String(options.dir), 'kvd-bench-storage-'));
const data = Buffer.alloc(ENTRY_BYTES, 0x61);

function batch(first: number, size: number): Entry[] {
  const out: Entry[] = new Array(size);
  for (let i = 0; i < size; i++) out[i] = { index: asIndex(first + i), term: asTerm(1), type: 'normal', data };
  return out;
}

const hs = (commit: number) => ({ term: asTerm(1), vote: asMemberId(opts.memberId), commit: asIndex(commit) });

async function appends(size: number): Promise<string[]> {
  const dir = join(work, `append-${size}`);
  const wal = Wal.create(dir, opts);
  let next = 1;
  // Warm up: the first writes into a fresh file are slower than the steady state.
  for (let i = 0; i < 50; i++, next += size) wal.append(batch(next, size), hs(next));
  await wal.settled();
  const lat: number[] = [];
  const start = performance.now();
  const before = wal.stats().fsyncs;
  while (performance.now() - start < seconds * 1000) {
    const b = batch(next, size);
    const t0 = performance.now();
    wal.append(b, hs(next + size - 1));
    lat.push(performance.now() - t0);
    next += size;
  }
  const elapsed = (performance.now() - start) / 1000;
  const fsyncs = wal.stats().fsyncs - before;
  wal.close();
  fs.rmSync(dir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  return [
    String(size),
    Math.round((lat.length * size) / elapsed).toLocaleString('en'),
    Math.round(fsyncs / elapsed).toLocaleString('en'),
    ((lat.length * size * ENTRY_BYTES) / elapsed / 1e6).toFixed(1),
    percentile(lat, 50).toFixed(3),
    percentile(lat, 99).toFixed(3),
  ];
}

async function replay(): Promise<void> {
  const dir = join(work, 'replay');
  const wal = Wal.create(dir, opts);
  const t0 = performance.now();
  for (let next = 1; next <= replayEntries; next += 256)
    wal.append(batch(next, Math.min(256, replayEntries - next + 1)), hs(next));
  const writeS = (performance.now() - t0) / 1000;
  await wal.settled();
  const segments = fs.readdirSync(join(dir, 'member', 'wal')).filter((n) => n.endsWith('.seg')).length;
  wal.close();
  const runs: number[] = [];
  let count = 0;
  for (let r = 0; r < 3; r++) {
    const t1 = performance.now();
    const { wal: reopened, recovered } = Wal.open(dir, asIndex(0), opts);
    runs.push((performance.now() - t1) / 1000);
    count = recovered.entries.length;
    reopened.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const best = Math.min(...runs);
  console.log(`\nreplay: ${count.toLocaleString('en')} entries of ${ENTRY_BYTES} bytes in ${segments} segments`);
  console.log(`  written in ${writeS.toFixed(2)} s (batches of 256)`);
  console.log(
    `  replayed in ${runs.map((s) => s.toFixed(2)).join(' / ')} s: best ${Math.round(count / best).toLocaleString('en')} entries/s (target >= 300,000)`,
  );
}

async function benchmark(): Promise<void> {
  console.log(`WAL appends, ${ENTRY_BYTES}-byte entries, ${seconds} s per batch size, in ${work}`);
  const rows: string[][] = [];
  for (const size of BATCH_SIZES) rows.push(await appends(size));
  const header = ['batch', 'entries/s', 'fsyncs/s', 'MB/s', 'p50 ms', 'p99 ms'];
  for (const line of table([header, ...rows], '')) console.log(line);
  await replay();
}

try {
  await benchmark();
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
