// The data-dir lock is the kernel's: it holds while its owner lives, and
// nothing written in the lock file (a pid) can keep a member from starting.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataDirLock, StorageError } from '../../lib/storage/index.js';
import { dataDir } from './helpers.js';

const lockModule = new URL('../../lib/storage/lock.ts', import.meta.url).pathname;

function refusal(fn: () => unknown): StorageError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StorageError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

test('a lock file naming a live unrelated process (pid 1) does not stop the lock', (t) => {
  const dir = dataDir(t);
  mkdirSync(join(dir, 'member'));
  writeFileSync(join(dir, 'member', 'lock'), '1\n');
  const lock = DataDirLock.acquire(dir);
  assert.equal(readFileSync(lock.file, 'utf8'), `${process.pid}\n`);
  lock.release();
});

test('a held lock refuses another taker at once, naming the owner; released, it can be taken again', (t) => {
  const dir = dataDir(t);
  const lock = DataDirLock.acquire(dir);
  const err = refusal(() => DataDirLock.acquire(dir));
  assert.equal(err.code, 'LOCKED');
  assert.match(err.message, new RegExp(`in use by process ${process.pid}\\b`));
  lock.release();
  DataDirLock.acquire(dir).release();
});

test('the lock of a process killed with SIGKILL is free at once', async (t) => {
  const dir = dataDir(t);
  const holder = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import(${JSON.stringify(lockModule)}).then((m) => { m.DataDirLock.acquire(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000); })`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => holder.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    holder.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  const err = refusal(() => DataDirLock.acquire(dir));
  assert.match(err.message, new RegExp(`in use by process ${holder.pid}\\b`));
  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.once('exit', resolve));
  // The file still names the dead holder; the kernel's lock is what counts.
  assert.equal(readFileSync(join(dir, 'member', 'lock'), 'utf8'), `${holder.pid}\n`);
  DataDirLock.acquire(dir).release();
});
