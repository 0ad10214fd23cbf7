// kvctl backup: a copy of a member's data dir that a member can start from.
//
// A member restarts from its newest snapshot (member/snap/*.snap) and the log
// segments after it (member/wal/*.seg). The copy takes the newest snapshot
// first and the segments after it, so every segment the snapshot needs is
// copied after the snapshot was chosen; the member only deletes segments that
// a newer snapshot covers, so if the newest snapshot is still the newest once
// the segments are copied, none it needs can have gone (otherwise, or when a
// segment vanishes mid-copy, the copy starts over). A segment being appended
// to is copied up to where it was: at worst its last record is torn, which
// recovery truncates as it does after a crash. So the copy is crash-consistent:
// the state a member would recover had it crashed while the copy was made.
// Every file and directory is fsynced before the command reports success.
// A copy that lasts reports its progress every few seconds.

import { closeSync, fsyncSync, mkdirSync, openSync, readSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Progress } from '../../progress/index.js';

export interface BackupPaths {
  readonly dataDir: string;
  readonly backupDir: string;
  /** Where the member keeps its segments when not in <data-dir>/member/wal. */
  readonly walDir?: string;
  /** Where to put the copied segments when not in <backup-dir>/member/wal. */
  readonly backupWalDir?: string;
}

export interface BackupResult {
  /** The snapshot copied, or null when the member has none yet. */
  readonly snapshot: string | null;
  readonly segments: readonly string[];
}

export interface BackupProgress {
  /** Minimum time between two lines. */
  readonly intervalMs: number;
  /** Receives a line such as "backup: 3 of 12 files, 512.0 MiB of 1.5 GiB copied (95.2 MiB/s)". */
  readonly report: (line: string) => void;
  readonly now?: () => number;
}

export class BackupError extends Error {
  override readonly name = 'BackupError';
}

const maxAttempts = 5;
const chunkSize = 1 << 20;

/** Names of regular files in dir ending in suffix, sorted (kvd's names are fixed-width hex, so this is log order). */
function listFiles(dir: string, suffix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter((n) => n.endsWith(suffix) && statSync(join(dir, n)).isFile()).sort();
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Copies src as it is now to dst and fsyncs dst. Returns false when src is gone. */
function copyFile(src: string, dst: string, onCopied: (bytes: number) => void): boolean {
  let from: number;
  try {
    from = openSync(src, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  const to = openSync(dst, 'wx', 0o600);
  try {
    const buf = Buffer.allocUnsafe(chunkSize);
    for (;;) {
      const n = readSync(from, buf, 0, chunkSize, null);
      if (n === 0) break;
      let off = 0;
      while (off < n) off += writeSync(to, buf, off, n - off);
      onCopied(n);
    }
    fsyncSync(to);
  } finally {
    closeSync(from);
    closeSync(to);
  }
  return true;
}

function isEmptyOrMissing(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}

/** Makes dir and its missing parents, fsyncing each parent that gained an entry. */
function makeDir(dir: string): void {
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (created === undefined) return;
  let d = dir;
  while (d.length >= created.length) {
    const parent = join(d, '..');
    fsyncPath(parent);
    if (parent === d) break;
    d = parent;
  }
}

const sizeOf = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

function mib(bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

/** @throws BackupError for a missing source or a destination that already holds a backup. */
export function backupDataDir(paths: BackupPaths, progress?: BackupProgress): BackupResult {
  const srcSnap = join(paths.dataDir, 'member', 'snap');
  const srcWal = paths.walDir ?? join(paths.dataDir, 'member', 'wal');
  const dstSnap = join(paths.backupDir, 'member', 'snap');
  const dstWal = paths.backupWalDir ?? join(paths.backupDir, 'member', 'wal');
  if (!statSafe(srcWal))
    throw new BackupError(`${srcWal}: no such directory (is ${paths.dataDir} a member's data dir?)`);
  for (const d of [dstSnap, dstWal]) {
    if (!isEmptyOrMissing(d)) throw new BackupError(`${d} is not empty`);
  }
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    makeDir(dstSnap);
    makeDir(dstWal);
    const snapshot = listFiles(srcSnap, '.snap').at(-1) ?? null;
    // The totals as the directories are now; segments written meanwhile are copied too.
    const planned = [
      ...(snapshot === null ? [] : [join(srcSnap, snapshot)]),
      ...listFiles(srcWal, '.seg').map((s) => join(srcWal, s)),
    ];
    const total = { files: planned.length, bytes: planned.reduce((n, f) => n + sizeOf(f), 0) };
    const copied = { files: 0, bytes: 0 };
    const meter =
      progress &&
      new Progress({
        intervalMs: progress.intervalMs,
        now: progress.now,
        report: (p) =>
          progress.report(
            `backup: ${copied.files} of ${Math.max(total.files, copied.files)} files, ${mib(p.done)} of ${mib(Math.max(total.bytes, p.done))} copied (${mib(p.perSecond)}/s)`,
          ),
      });
    const copy = (src: string, dst: string): boolean => {
      const ok = copyFile(src, dst, (n) => {
        copied.bytes += n;
        meter?.update(copied.bytes);
      });
      if (ok) copied.files++;
      return ok;
    };
    let complete = snapshot === null || copy(join(srcSnap, snapshot), join(dstSnap, snapshot));
    const segments = complete ? listFiles(srcWal, '.seg') : [];
    for (const seg of segments) {
      if (!complete) break;
      complete = copy(join(srcWal, seg), join(dstWal, seg));
    }
    if (complete && (listFiles(srcSnap, '.snap').at(-1) ?? null) === snapshot) {
      if (segments.length === 0) throw new BackupError(`${srcWal}: no log segments to copy`);
      for (const d of [dstSnap, dstWal, join(dstSnap, '..'), join(dstWal, '..'), paths.backupDir]) fsyncPath(d);
      return { snapshot, segments };
    }
    for (const d of [dstSnap, dstWal]) rmSync(d, { recursive: true, force: true });
  }
  throw new BackupError(`the member kept replacing its snapshot; no consistent copy after ${maxAttempts} attempts`);
}

function statSafe(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
