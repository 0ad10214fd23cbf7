// Reading a V8 sampling heap profile (the inspector's HeapProfiler.stopSampling
// result): bytes allocated per function and per kvd call site, for the
// profiling harness. Started with includeObjectsCollectedByMinorGC and
// ...MajorGC, the profile counts what was allocated in the window, garbage
// included, which is what the scavenger pays for.

import { fileOf } from './cpuprofile.js';

export interface HeapNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  /** Bytes allocated in this frame itself, as V8 scales its samples up to an estimate. */
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

export interface HeapProfile {
  readonly head: HeapNode;
}

export interface Allocated {
  readonly name: string;
  readonly bytes: number;
  readonly share: number;
}

export interface HeapSummary {
  readonly totalBytes: number;
  /** By the function that allocated. */
  readonly functions: Allocated[];
  /** By the innermost kvd function of the stack and the allocating function: who in kvd asked for it. */
  readonly sites: Allocated[];
  readonly files: Allocated[];
}

const isKvd = (url: string): boolean => /\/(lib|cmd)\//.test(url) && !url.includes('node_modules');

function nameOf(f: HeapNode['callFrame']): string {
  const where = fileOf(f.url, f.functionName);
  return f.url === ''
    ? `${f.functionName || '(anonymous)'} ${where}`
    : `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
}

/** Allocated bytes over the whole profile, largest first, `top` of each ranking. */
export function summarizeHeap(p: HeapProfile, top: number): HeapSummary {
  const fn = new Map<string, number>();
  const site = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const walk = (n: HeapNode, kvd: string | null): void => {
    const f = n.callFrame;
    const name = nameOf(f);
    const caller = isKvd(f.url) ? name : kvd;
    if (n.selfSize > 0) {
      total += n.selfSize;
      add(fn, name, n.selfSize);
      add(file, fileOf(f.url, f.functionName), n.selfSize);
      add(
        site,
        caller === name ? name : `${caller ?? '(no kvd frame)'} → ${f.functionName || '(anonymous)'}`,
        n.selfSize,
      );
    }
    for (const c of n.children) walk(c, caller);
  };
  walk(p.head, null);
  const ranked = (m: Map<string, number>): Allocated[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, bytes]) => ({ name, bytes, share: Math.round((bytes / (total || 1)) * 1000) / 10 }));
  return { totalBytes: total, functions: ranked(fn), sites: ranked(site), files: ranked(file) };
}
