// One process per data directory: two members appending to the same log
// would interleave records and corrupt it. The lock is the kernel's: an
// exclusive lock on member/lock (an open-file-description fcntl lock on
// Linux, as etcd locks its WAL; flock on macOS), held as long as the file
// stays open, so the kernel drops it when the process dies, however it dies.
// No pid is trusted: a zombie, or an unrelated process that got the old
// owner's pid after a reboot, does not keep a member from starting. The pid
// written into the file only names the owner in the refusal.
//
// Node has no file-lock API; fs-native-extensions (Holepunch) ships the
// system call with prebuilt binaries for every platform inside its npm
// package, so it installs without a compiler or an install script.

import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import fsExt from 'fs-native-extensions';
import { StorageError } from './errors.js';

export class DataDirLock {
  private constructor(
    readonly file: string,
    private fd: number | null,
  ) {}

  /** Takes the data dir's lock, or throws StorageError LOCKED at once when another process holds it. */
  static acquire(dataDir: string): DataDirLock {
    const dir = join(dataDir, 'member');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'lock');
    // The file is never removed: a process that opened it just before a
    // removal would lock the old file while another locks a new one.
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
    let locked: boolean;
    try {
      locked = fsExt.tryLock(fd);
    } catch (err) {
      closeSync(fd);
      throw new StorageError('IO', `cannot lock ${file}: ${(err as Error).message}`, { file });
    }
    if (!locked) {
      closeSync(fd);
      const owner = readFileSync(file, 'utf8').trim();
      const who = /^\d+$/.test(owner) ? `process ${owner}` : 'another process';
      throw new StorageError('LOCKED', `data dir ${dataDir} is in use by ${who}: stop it, or use another data-dir`, {
        file,
      });
    }
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
    return new DataDirLock(file, fd);
  }

  /** Lets go of the lock (closing the file drops it). */
  release(): void {
    if (this.fd === null) return;
    ftruncateSync(this.fd, 0);
    closeSync(this.fd);
    this.fd = null;
  }
}
