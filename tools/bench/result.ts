// The JSON result file of a benchmark run: everything needed to compare two
// runs made at different commits (what ran, where, with which parameters,
// and every figure of both systems, per round and as medians).

import { readFileSync, writeFileSync } from 'node:fs';
import type { System } from './cluster.js';
import { medianFigures, type Figures } from './figures.js';
import type { Floor } from './floor.js';
import type { Load } from './loads.js';

export const RESULT_FORMAT = 'kvd-bench/1';

export interface SystemResult {
  readonly version: string;
  /** Load id → the median of its rounds. */
  readonly median: Record<string, Figures>;
  /** One map of load id → figures per round. */
  readonly rounds: Record<string, Figures>[];
}

export interface BenchResult {
  readonly format: typeof RESULT_FORMAT;
  readonly commit: string | null;
  /** The work tree had uncommitted changes. */
  readonly dirty: boolean;
  readonly date: string;
  readonly machine: {
    readonly cores: number;
    readonly cpu: string;
    readonly kernel: string;
    readonly node: string;
    /** The file system type of the data dirs (fsync figures mean little on tmpfs). */
    readonly fs: string;
    readonly wrk: string;
    readonly h2load: string;
  };
  readonly parameters: {
    readonly members: number;
    readonly seconds: number;
    readonly rounds: number;
    readonly warmupSeconds: number;
    readonly floorSeconds: number;
    readonly valueBytes: number;
    readonly readKeys: number;
    readonly wrkThreads: number;
    readonly loads: readonly Load[];
  };
  readonly floor: Floor | null;
  readonly floorRounds: Floor[];
  readonly systems: Partial<Record<System, SystemResult>>;
}

/** Median per load id over rounds; a load missing from a round is left out of that round's median. */
export function medianOfRounds(rounds: readonly Record<string, Figures>[]): Record<string, Figures> {
  const ids = [...new Set(rounds.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(ids.map((id) => [id, medianFigures(rounds.flatMap((r) => (r[id] ? [r[id]] : [])))]));
}

export function medianFloor(rounds: readonly Floor[]): Floor | null {
  if (rounds.length === 0) return null;
  const keys = Object.keys(rounds[0]!) as (keyof Floor)[];
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  // Every round of one run measured the same parts, so a key of the first is in all.
  return Object.fromEntries(keys.map((k) => [k, med(rounds.map((r) => r[k] ?? NaN))])) as unknown as Floor;
}

export function writeResult(path: string, result: BenchResult): void {
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
}

export function readResult(path: string): BenchResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not a readable JSON file (${(err as Error).message})`);
  }
  const r = parsed as Partial<BenchResult> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    r.format !== RESULT_FORMAT ||
    typeof r.systems !== 'object' ||
    r.systems === null
  ) {
    throw new Error(`${path}: not a ${RESULT_FORMAT} result file of tools/bench`);
  }
  return r as BenchResult;
}
