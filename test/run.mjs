#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test under the tsx loader.
// Node 20's `node --test DIR` finds nothing and exits 0, so files are listed
// here, and a run that executed zero tests fails.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('-'));

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

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', '--test-reporter-destination=' + join(root, '.test-results.tap'),
    '--test-concurrency=2', ...files],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, KVD_TEST: '1' } },
);
child.on('exit', async (code, signal) => {
  const { readFileSync } = await import('node:fs');
  const tap = readFileSync(join(root, '.test-results.tap'), 'utf8');
  const num = (k) => Number((tap.match(new RegExp(`^# ${k} (\\d+)`, 'm')) ?? [])[1] ?? 0);
  const pass = num('pass');
  const fail = num('fail');
  const skipped = num('skipped') + num('todo');
  console.log(`${pass} passed, ${fail} failed, ${skipped} skipped`);
  if (signal) process.exit(1);
  if (pass + fail === 0) {
    console.error('no tests ran: failing the run');
    process.exit(1);
  }
  process.exit(code ?? 1);
});
