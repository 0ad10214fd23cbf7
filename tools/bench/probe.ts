// Loaded into a kvd member by the profiling harness (node --import
// dist/tools/bench/probe.js): on SIGUSR2 it starts a measurement window
// (event-loop delay at 1 ms resolution, GC pauses, a CPU profile), on the
// next SIGUSR2 it ends it and writes what it saw to
// $KVD_PROBE_DIR/<pid>-<n>.json and .cpuprofile (and .heapprofile). It changes nothing in the
// member; outside a window it costs nothing but the signal handler.

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { constants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';

export interface ProbeWindow {
  readonly pid: number;
  readonly window: number;
  readonly ms: number;
  /** Event-loop delay beyond the 1 ms timer, in ms. */
  readonly loopDelayMs: {
    readonly p50: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
    readonly count: number;
  };
  /** GC pauses by kind: count, total and longest, in ms. */
  readonly gc: Record<string, { count: number; totalMs: number; maxMs: number }>;
  /** Loop stalls of 5 ms or more, as [ms since the window began, length in ms]. */
  readonly stalls: Array<[number, number]>;
  readonly cpuProfile: string;
  /** With KVD_PROBE_HEAP set: the sampling heap profile of the window. */
  readonly heapProfile?: string;
}

const dir = process.env.KVD_PROBE_DIR;
/** KVD_PROBE_CPU_ONLY=1: no 1 ms timers (they cost CPU of their own, which shows when the member is nearly idle). */
const cpuOnly = process.env.KVD_PROBE_CPU_ONLY === '1';
/**
 * KVD_PROBE_HEAP=all: also a sampling heap profile (one sample per 8 KiB allocated on average) that keeps
 * the objects minor and major GCs collected, so it shows what a load allocates, not only what survives;
 * KVD_PROBE_HEAP=live: only what is still alive at the window's end (what the scavenger had to copy).
 */
const heap =
  process.env.KVD_PROBE_HEAP === 'all' || process.env.KVD_PROBE_HEAP === 'live' ? process.env.KVD_PROBE_HEAP : null;
// Node's names for V8's GC types (perf_hooks.constants.NODE_PERFORMANCE_GC_*): 4 is the full mark-compact
// pause, 8 a step of incremental marking.
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental-marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};

if (dir) {
  const session = new Session();
  session.connect();
  let window = 0;
  let active: {
    started: number;
    loop: IntervalHistogram;
    gc: ProbeWindow['gc'];
    stalls: Array<[number, number]>;
    obs: PerformanceObserver;
    stallTimer: NodeJS.Timeout;
  } | null = null;

  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))),
    );

  const start = async (): Promise<void> => {
    // The profiler first: starting it holds the loop for a while, which is not the member's doing.
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 200 });
    await post('Profiler.start');
    if (heap !== null) {
      await post('HeapProfiler.enable');
      await post('HeapProfiler.startSampling', {
        samplingInterval: 8192,
        includeObjectsCollectedByMinorGC: heap === 'all',
        includeObjectsCollectedByMajorGC: heap === 'all',
      });
    }
    const loop = monitorEventLoopDelay({ resolution: 1 });
    if (!cpuOnly) loop.enable();
    const gc: ProbeWindow['gc'] = {};
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = GC_KINDS[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
        const g = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
        g.count++;
        g.totalMs += e.duration;
        g.maxMs = Math.max(g.maxMs, e.duration);
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    const started = performance.now();
    const stalls: Array<[number, number]> = [];
    let last = performance.now();
    const stallTimer = setInterval(
      () => {
        const now = performance.now();
        if (now - last >= 6) stalls.push([Math.round(last - started), Math.round((now - last - 1) * 10) / 10]);
        last = now;
      },
      cpuOnly ? 1000 : 1,
    );
    active = { started, loop, gc, stalls, obs, stallTimer };
  };

  const stop = async (): Promise<void> => {
    const a = active!;
    active = null;
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    const heapProfile =
      heap !== null ? ((await post('HeapProfiler.stopSampling')) as { profile: unknown }).profile : null;
    a.loop.disable();
    a.obs.disconnect();
    clearInterval(a.stallTimer);
    const n = ++window;
    const base = join(dir, `${process.pid}-${n}`);
    writeFileSync(`${base}.cpuprofile`, JSON.stringify(profile));
    if (heapProfile) writeFileSync(`${base}.heapprofile`, JSON.stringify(heapProfile));
    const ms = (ns: number) => Math.round(Math.max(0, ns / 1e6 - 1) * 100) / 100;
    const out: ProbeWindow = {
      pid: process.pid,
      window: n,
      ms: Math.round(performance.now() - a.started),
      loopDelayMs: {
        p50: ms(a.loop.percentile(50)),
        p99: ms(a.loop.percentile(99)),
        p999: ms(a.loop.percentile(99.9)),
        max: ms(a.loop.max),
        count: a.loop.count,
      },
      gc: a.gc,
      stalls: a.stalls,
      cpuProfile: `${base}.cpuprofile`,
      ...(heapProfile ? { heapProfile: `${base}.heapprofile` } : {}),
    };
    writeFileSync(`${base}.json`, JSON.stringify(out));
  };

  let busy: Promise<void> = Promise.resolve();
  process.on('SIGUSR2', () => {
    busy = busy.then(() => (active ? stop() : start())).catch((err: Error) => console.error(`probe: ${err.message}`));
  });
}
