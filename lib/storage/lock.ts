// One process per data directory: two members appending to the same log
// would interleave records and corrupt it. The lock is a file holding the
// owner's pid, created exclusively; a lock left by a process that died
// (kill -9) is taken over.

import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from './errors.js';

export class DataDirLock {
  private constructor(readonly file: string) {}

  static acquire(dataDir: string): DataDirLock {
    const dir = join(dataDir, 'member');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'lock');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return new DataDirLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = Number.parseInt(readOwner(file), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new StorageError('LOCKED', `data dir ${dataDir} is in use by process ${owner}: stop it, or use another data-dir`, { file });
      }
      rmSync(file, { force: true });
    }
    throw new StorageError('LOCKED', `could not take the lock on data dir ${dataDir}`, { file });
  }

  release(): void {
    rmSync(this.file, { force: true });
  }
}

function readOwner(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
