// The system calls on the write path, behind an interface so that tests can
// inject disk errors (EIO, ENOSPC) where they really happen.

import fs from 'node:fs';

export interface FileIo {
  writeSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  fdatasyncSync(fd: number): void;
  fsyncSync(fd: number): void;
  /** fdatasync on the thread pool; when absent, fdatasyncSync is used instead. */
  fdatasync?(fd: number): Promise<void>;
}

export const nodeFileIo: FileIo = {
  writeSync: (fd, buf, offset, length, position) => fs.writeSync(fd, buf, offset, length, position),
  fdatasyncSync: (fd) => fs.fdatasyncSync(fd),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  fdatasync: (fd) => new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
};
