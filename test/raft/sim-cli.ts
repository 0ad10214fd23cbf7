// Long-mode raft simulation: `npm run sim -- --seeds N [--from S]`.
// Prints every failing seed (rerun one with `--seeds 1 --from <seed>`) and exits 1 on any failure.
import { runSimulation } from './sim/simulation.js';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const v = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`--${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}

const seeds = arg('seeds', 1000);
const from = arg('from', 1);
const chaosTime = arg('chaos', 15_000);
const healTime = arg('heal', 10_000);
const verbose = process.argv.includes('--verbose');

const failed: number[] = [];
const started = Date.now();
for (let seed = from; seed < from + seeds; seed++) {
  const r = runSimulation({ seed, chaosTime, healTime });
  if (!r.ok) {
    failed.push(seed);
    console.log(`FAIL ${r.error}`);
    console.log(`     ${JSON.stringify(r.stats)}`);
  } else if (verbose) {
    console.log(`ok   seed ${seed} ${JSON.stringify(r.stats)}`);
  }
  if ((seed - from + 1) % 100 === 0) console.error(`... ${seed - from + 1}/${seeds} seeds, ${failed.length} failed`);
}
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(
  `${seeds} seeds from ${from} in ${secs}s: ${failed.length} failed${failed.length ? ` (${failed.join(' ')})` : ''}`,
);
process.exit(failed.length > 0 ? 1 : 0);
