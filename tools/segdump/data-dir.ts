import fs from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;

/**
 * The data directory an operator meant: the directory itself, or its member/,
 * member/wal/ or member/snap/ subdirectory (whatever they tab-completed to).
 */
export function resolveDataDir(arg: string): string {
  const p = resolve(arg);
  if (isDir(`${p}/member/wal`) || isDir(`${p}/member/snap`)) return p;
  if (basename(p) === 'member' && isDir(p)) return dirname(p);
  if ((basename(p) === 'wal' || basename(p) === 'snap') && basename(dirname(p)) === 'member')
    return dirname(dirname(p));
  if (!fs.existsSync(p)) throw new UsageError(`${arg} does not exist`);
  throw new UsageError(`${arg} holds no kvd data (expected ${arg}/member/wal)`);
}
