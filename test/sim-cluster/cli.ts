// The whole-cluster simulation: `npm run sim:cluster -- --seeds N [--seed S] [--inject BUG] [--trace]`.
// Every seed prints one line; a failing one prints what failed and the last
// events before it (rerun it alone with --seed S). The last line is
// "N passed, M failed"; the exit status is 1 on any failure.

import { INJECTABLE, runSimulation, type InjectedBug } from './simulation.js';

function option(name: string): string | null {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? null : (process.argv[at + 1] ?? null);
}

function count(name: string, fallback: number): number {
  const raw = option(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name} needs a non-negative integer`);
    process.exit(2);
  }
  return n;
}

const inject = option('inject');
if (inject !== null && !INJECTABLE.includes(inject as InjectedBug)) {
  console.error(`--inject takes one of ${INJECTABLE.join(', ')}`);
  process.exit(2);
}
const single = option('seed');
const first = single !== null ? count('seed', 1) : count('from', 1);
const seeds = single !== null ? 1 : count('seeds', 40);
const chaosMs = count('chaos', 20_000);
const showTrace = process.argv.includes('--trace') || single !== null;

let passed = 0;
let failed = 0;
const failedSeeds: number[] = [];
const started = performance.now();
for (let seed = first; seed < first + seeds; seed++) {
  const t0 = performance.now();
  const r = await runSimulation({ seed, inject: (inject as InjectedBug | null) ?? null, chaosMs });
  const ms = Math.round(performance.now() - t0);
  const s = r.stats;
  const summary = `${s.ops} ops, ${s.crashes} crashes (${s.powerLosses} power losses), ${s.partitions} partitions, ${s.delivered} messages, ${ms} ms`;
  if (r.failures.length === 0) {
    passed++;
    console.log(`seed ${seed}: ok (${summary})`);
    continue;
  }
  failed++;
  failedSeeds.push(seed);
  console.log(`seed ${seed}: FAILED (${summary})`);
  for (const f of r.failures.slice(0, 5)) console.log(`  ${f.kind}: ${f.message}`);
  if (showTrace) {
    console.log(`  the last ${r.trace.length} events (virtual ms):`);
    for (const line of r.trace) console.log(`    ${line}`);
  } else console.log(`  rerun with: npm run sim:cluster -- --seed ${seed}${inject ? ` --inject ${inject}` : ''}`);
}
const secs = ((performance.now() - started) / 1000).toFixed(1);
if (failedSeeds.length > 0) console.log(`failed seeds: ${failedSeeds.join(' ')}`);
console.log(`${inject ? `injected ${inject}; ` : ''}${seeds} seeds in ${secs} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
