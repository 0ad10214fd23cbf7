// Turning the member's JSON into what the views draw: chart series, merged
// sample windows and per-follower states. No DOM here, so tests run it in Node.

import type { FollowerLatency, LatencyView, MemberRow, StatusSample } from '../../lib/server/dashboard-types.js';

export type FollowerState = 'ok' | 'silent' | 'never';

export function followerState(f: Pick<FollowerLatency, 'silent' | 'lastAnswerAgoMs'>): FollowerState {
  if (f.lastAnswerAgoMs === null) return 'never';
  return f.silent ? 'silent' : 'ok';
}

/**
 * uPlot's aligned data for the latency chart: x in seconds, then one line per
 * follower of its slowest answer in each second (a stall shows at its full
 * height instead of being averaged away).
 */
export function latencySeries(view: LatencyView): [number[], ...(number | null)[][]] {
  const xs = Array.from({ length: view.seconds }, (_, k) => view.start + k);
  return [xs, ...view.followers.map((f) => f.max)];
}

/**
 * Adds newly fetched samples to those already held, by second, keeping only
 * the last `keepSeconds` before `nowSeconds`. Samples arrive oldest first.
 */
export function mergeSamples(
  held: readonly StatusSample[],
  incoming: readonly StatusSample[],
  nowSeconds: number,
  keepSeconds: number,
): StatusSample[] {
  const from = nowSeconds - keepSeconds;
  const last = held.length > 0 ? held[held.length - 1]!.t : -Infinity;
  const out = held.filter((s) => s.t > from);
  for (const s of incoming) if (s.t > last && s.t > from) out.push(s);
  return out;
}

/** The newest second of a sample list (0 when empty), what the next fetch asks `since`. */
export function newestSecond(samples: readonly StatusSample[]): number {
  return samples.length > 0 ? samples[samples.length - 1]!.t : 0;
}

/**
 * uPlot's aligned data for one sample field across members: x is every
 * second of the window, each member a line with null where it has no sample.
 */
export function alignedSeries(
  members: readonly { readonly samples: readonly StatusSample[] }[],
  field: (s: StatusSample) => number | null,
  nowSeconds: number,
  seconds: number,
): [number[], ...(number | null)[][]] {
  const start = nowSeconds - seconds + 1;
  const xs = Array.from({ length: seconds }, (_, k) => start + k);
  const lines = members.map((m) => {
    const line: (number | null)[] = new Array(seconds).fill(null);
    for (const s of m.samples) {
      const k = s.t - start;
      if (k >= 0 && k < seconds) line[k] = field(s);
    }
    return line;
  });
  return [xs, ...lines];
}

/** Mean of a field over the samples of the last `seconds` (null when none has a value). */
export function meanOver(
  samples: readonly StatusSample[],
  field: (s: StatusSample) => number | null,
  nowSeconds: number,
  seconds: number,
): number | null {
  let sum = 0;
  let n = 0;
  for (const s of samples) {
    if (s.t <= nowSeconds - seconds) continue;
    const v = field(s);
    if (v === null) continue;
    sum += v;
    n++;
  }
  return n > 0 ? sum / n : null;
}

export type Health = 'healthy' | 'unhealthy' | 'unreachable' | 'not started';

export function healthOf(row: MemberRow): Health {
  if (row.name === '' && row.status === null) return 'not started';
  if (row.status === null) return 'unreachable';
  return row.status.unhealthy === null ? 'healthy' : 'unhealthy';
}

/** How the cluster reads at a glance: the sentence at the top of the cluster view. */
export function clusterSummary(rows: readonly MemberRow[]): string {
  const n = rows.length;
  if (n === 0) return 'This member knows of no members yet: it is still starting.';
  const healthy = rows.filter((r) => healthOf(r) === 'healthy').length;
  const quorum = Math.floor(n / 2) + 1;
  const leader = rows.find((r) => r.status?.role === 'leader');
  const lead = leader ? `${leader.name || leader.id} leads (term ${leader.status!.term})` : 'no leader is elected';
  if (n === 1)
    return `One member: ${lead}. It is its own majority, so writes need no other member; add members for fault tolerance.`;
  const tolerance = n - quorum;
  return `${healthy} of ${n} members healthy; ${lead}. Writes need ${quorum} of ${n}, so the cluster survives ${tolerance} member${tolerance === 1 ? '' : 's'} down.`;
}

/** Grid lines of a log axis: each power of ten, and 2 and 5 times it when the range spans few decades. */
export function logSplits(min: number, max: number): number[] {
  if (!(min > 0) || !(max > min)) return [];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const steps = hi - lo <= 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const k of steps) {
      const v = k * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
    }
  }
  return out;
}
