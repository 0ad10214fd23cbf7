// Shared fixtures for storage and segdump tests.

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { TestContext } from 'node:test';
import { asIndex, asMemberId, asTerm, type Entry, type EntryType, type HardState } from '../../lib/raft/types.js';
import { listSegments } from '../../lib/storage/files.js';
import type { WalOptions } from '../../lib/storage/index.js';
import { scanWal } from '../../lib/storage/index.js';
import { scanSegment } from '../../lib/storage/scan.js';
import { nth } from '../support/pick.js';

export const MEMBER = '8e9e05c52164694d';
export const CLUSTER = 'cdf818194e3a8c32';

export function walOptions(extra: Partial<WalOptions> = {}): WalOptions {
  return { memberId: MEMBER, clusterId: CLUSTER, segmentSize: 64 * 1024, ...extra };
}

/** A fresh data directory on the real disk (fsync matters), removed when the test ends. */
export function dataDir(t: TestContext): string {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'kvd-storage-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Deterministic, non-zero data so that a lost sector always shows as zeros. */
export function payload(index: number, term: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = ((index * 31 + term * 7 + i) % 251) + 1;
  return b;
}

export function entry(index: number, term = 1, size = 32, type: EntryType = 'normal'): Entry {
  return { index: asIndex(index), term: asTerm(term), type, data: payload(index, term, size) };
}

export function entries(from: number, to: number, term = 1, size = 32): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term, size));
  return out;
}

export function hardState(term: number, commit: number, vote = MEMBER): HardState {
  return { term: asTerm(term), vote: asMemberId(vote), commit: asIndex(commit) };
}

/** Plain objects for deepStrictEqual against what replay decodes. */
export function plain(es: readonly Entry[]): Array<{ index: number; term: number; type: string; data: string }> {
  return es.map((e) => ({ index: e.index, term: e.term, type: e.type, data: e.data.toString('hex') }));
}

export function plainHardState(h: HardState | null): { term: number; vote: string; commit: number } | null {
  return h && { term: h.term, vote: h.vote, commit: h.commit };
}

/** A logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

export function segmentPaths(dir: string): string[] {
  return listSegments(dir).map((s) => s.path);
}

/** The path of segment i, oldest first (i < 0 counts from the newest); fails the test when there is none. */
export function segmentPath(dir: string, i: number): string {
  return nth(segmentPaths(dir), i, `segment ${i}`);
}

export function lastSegment(dir: string): string {
  return segmentPath(dir, -1);
}

const ignore = () => {};
const ignoreAll = { header: ignore, entry: ignore, hardState: ignore, snapshotMarker: ignore };

/** Offset just past the last good record of the newest segment. */
export function usedBytes(dir: string): number {
  return scanSegment(fs.readFileSync(lastSegment(dir)), true, ignoreAll).end;
}

/** Offsets of every record in a segment file, by kind. */
export function recordOffsets(dir: string, file: string): Array<{ kind: string; offset: number; index?: number }> {
  const out: Array<{ kind: string; offset: number; index?: number }> = [];
  scanWal(dir, {
    header: (_h, offset, f) => void (f.path === file && out.push({ kind: 'header', offset })),
    entry: (e, offset, f) => void (f.path === file && out.push({ kind: 'entry', offset, index: e.index })),
    hardState: (_h, offset, f) => void (f.path === file && out.push({ kind: 'hardState', offset })),
    snapshotMarker: (m, offset, f) =>
      void (f.path === file && out.push({ kind: 'snapshotMarker', offset, index: m.index })),
  });
  return out;
}

export function copyDir(from: string, t: TestContext): string {
  const to = dataDir(t);
  fs.cpSync(from, to, { recursive: true });
  return to;
}

export function zeroRange(file: string, from: number, to: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    if (to > from) fs.writeSync(fd, Buffer.alloc(to - from), 0, to - from, from);
  } finally {
    fs.closeSync(fd);
  }
}

export function flipByte(file: string, offset: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, offset);
    b.writeUInt8(b.readUInt8(0) ^ 0x5a);
    fs.writeSync(fd, b, 0, 1, offset);
  } finally {
    fs.closeSync(fd);
  }
}
