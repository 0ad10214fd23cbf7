// Reading a V8 .cpuprofile (as node --cpu-prof or the inspector writes it):
// self time per function and per source file, for the profiling harness.

export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }>;
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Time in neither JavaScript nor GC: the loop waiting for I/O. */
  readonly idleMs: number;
  readonly functions: SelfTime[];
  readonly files: SelfTime[];
}

/** Where a frame's code lives, shortened: `lib/store/store.ts`, `node:internal/http`, or a V8 pseudo-frame like `(garbage collector)`. */
export function fileOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const m = /\/(lib|cmd|tools)\/(.*)$/.exec(url.replace(/^file:\/\//, ''));
  if (m && !url.includes('node_modules')) return `${m[1]}/${m[2]}`.replace(/^dist\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm:${nm[1]}`;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/(\w+).*$/, 'node:internal/$1');
  return url;
}

/** Self time of each function and file over the whole profile, largest first. */
export function summarize(p: CpuProfile, top: number): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  // A sample's time is the gap until the next one (the last gets the mean).
  const mean = samples.length > 0 ? (p.endTime - p.startTime) / samples.length : 0;
  for (let i = 0; i < samples.length; i++) {
    const us = i + 1 < deltas.length ? deltas[i + 1]! : mean;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + us);
  }
  const totalUs = p.endTime - p.startTime;
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') idleUs += us;
    const where = fileOf(f.url, f.functionName);
    const name = f.url === '' ? where : `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    file.set(where, (file.get(where) ?? 0) + us);
  }
  const ranked = (m: Map<string, number>): SelfTime[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: Math.round((us / totalUs) * 1000) / 10 }));
  return {
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    functions: ranked(fn),
    files: ranked(file),
  };
}

export interface LongTask {
  /** ms from the start of the profile. */
  readonly at: number;
  readonly ms: number;
  /** The kvd functions (outermost first, up to 4) of the stack the task spent most samples in, with that share. */
  readonly mostly: string;
}

/**
 * Runs of JavaScript or GC without an idle sample between them, of `minMs`
 * or more, longest first: synchronous work that held the event loop. A gap
 * between two samples of over 5 ms (the sampler itself was not scheduled) is
 * counted in `descheduledMs` instead: the machine, not the member.
 */
export function longTasks(
  p: CpuProfile & { readonly nodes: ReadonlyArray<{ readonly id: number; readonly children?: readonly number[] }> },
  minMs: number,
  top: number,
): { tasks: LongTask[]; descheduledMs: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const signature = (id: number): string => {
    const names: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (/\/(lib|cmd)\//.test(f.url) && !f.url.includes('node_modules')) names.push(f.functionName || '(anonymous)');
    }
    const leaf = byId.get(id)!.callFrame;
    const outer = names.reverse().slice(0, 4).join(' > ');
    return `${outer || '(no kvd frame)'} [${leaf.functionName || fileOf(leaf.url, leaf.functionName)}]`;
  };
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  const tasks: LongTask[] = [];
  let descheduledUs = 0;
  let t = 0;
  let start = -1;
  let startAt = 0;
  const flush = (end: number, endAt: number): void => {
    if (start < 0) return;
    const us = endAt - startAt;
    if (us >= minMs * 1000) {
      const counts = new Map<string, number>();
      for (let j = start; j < end; j++) {
        const s = signature(samples[j]!);
        counts.set(s, (counts.get(s) ?? 0) + 1);
      }
      const [sig, n] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
      tasks.push({
        at: Math.round(startAt / 1000),
        ms: Math.round(us / 100) / 10,
        mostly: `${Math.round((n / (end - start)) * 100)}% ${sig}`,
      });
    }
    start = -1;
  };
  for (let i = 0; i < samples.length; i++) {
    const d = deltas[i] ?? 0;
    t += d;
    if (d > 5000) descheduledUs += d;
    const idle = byId.get(samples[i]!)!.callFrame.functionName === '(idle)';
    if (idle) flush(i, t);
    else if (start < 0) {
      start = i;
      startAt = t;
    }
  }
  flush(samples.length, t);
  tasks.sort((a, b) => b.ms - a.ms);
  return { tasks: tasks.slice(0, top), descheduledMs: Math.round(descheduledUs / 1000) };
}
