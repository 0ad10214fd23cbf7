#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test under the tsx loader.
// Node 20's `node --test DIR` finds nothing and exits 0, so files are listed
// here, and a run that executed zero tests fails.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('-'));
// Each test() and it() fails after KVD_TEST_TIMEOUT_MS (default 90 s; see
// test/support/per-test-timeout.mjs), so a hung test names itself. A whole
// file gets FILE_TIMEOUT_MS: that catches a file whose tests are done but
// whose process never exits (a handle left open).
const FILE_TIMEOUT_MS = 15 * 60_000;

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched', filters);
  process.exit(1);
}

// One TAP file per run, so concurrent runs do not read each other's counts.
const tapFile = join(tmpdir(), `kvd-test-${process.pid}.tap`);
// Each file's wall time, written by test/support/file-time.mjs in the file's process.
const timesFile = join(tmpdir(), `kvd-test-${process.pid}.times`);
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    './test/support/per-test-timeout.mjs',
    '--import',
    './test/support/file-time.mjs',
    '--test',
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    '--test-reporter-destination=' + tapFile,
    '--test-concurrency=2',
    ...files,
  ],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, KVD_TEST_TIMES: timesFile } },
);

/** The 10 slowest files, so a CI log shows where the time goes. */
function printSlowest() {
  let lines = [];
  try {
    lines = readFileSync(timesFile, 'utf8').split('\n').filter(Boolean);
  } catch {
    return; // no file finished
  }
  rmSync(timesFile, { force: true });
  const slowest = lines
    .map((l) => l.split('\t'))
    .map(([ms, file]) => ({ ms: Number(ms), file: relative(root, file) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 10);
  console.log('slowest test files (wall time):');
  for (const { ms, file } of slowest) console.log(`${(ms / 1000).toFixed(1).padStart(7)} s  ${file}`);
}

child.on('exit', (code, signal) => {
  const tap = readFileSync(tapFile, 'utf8');
  rmSync(tapFile, { force: true });
  printSlowest();
  const num = (k) => Number((tap.match(new RegExp(`^# ${k} (\\d+)`, 'm')) ?? [])[1] ?? 0);
  const pass = num('pass');
  // A test that timed out is reported as cancelled: it failed.
  const fail = num('fail') + num('cancelled');
  const skipped = num('skipped') + num('todo');
  console.log(`${pass} passed, ${fail} failed, ${skipped} skipped`);
  if (signal) process.exit(1);
  if (pass + fail === 0) {
    console.error('no tests ran: failing the run');
    process.exit(1);
  }
  process.exit(code ?? 1);
});
