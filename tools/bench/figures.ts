// What one load measured, in the form both load generators' outputs are
// turned into, and the exact percentile of a list of samples.

export interface Latency {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export const LATENCY_KEYS = ['p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const satisfies readonly (keyof Latency)[];

export interface Figures {
  /** Responses received (any status) while measuring. */
  readonly requests: number;
  readonly seconds: number;
  /** Requests per second as the load generator reports it. */
  readonly rate: number;
  /** Milliseconds, from the load generator's full distribution of every request. */
  readonly latencyMs: Latency;
  /** Non-2xx/3xx responses, failed or timed-out requests, socket errors. */
  readonly errors: number;
  /** CPU seconds of all members together per 1000 requests (set by the harness). */
  readonly cpuPer1000?: number;
  /** The Raft term moved during the load: there was an election. */
  readonly termChanged?: boolean;
}

/** Nearest-rank percentile (the smallest sample with at least p % of samples at or below it) of ascending samples. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  // Less a hair, so that 99.9 % of 1000 is rank 999 despite binary fractions.
  const rank = Math.ceil((p * sorted.length) / 100 - 1e-9);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Latency figures (in the samples' unit divided by `unitsPerMs`) of unsorted samples. */
export function latencyOf(samples: Float64Array | number[], unitsPerMs: number): Latency {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const ms = (v: number) => v / unitsPerMs;
  return {
    p50: ms(percentile(sorted, 50)),
    p90: ms(percentile(sorted, 90)),
    p99: ms(percentile(sorted, 99)),
    p999: ms(percentile(sorted, 99.9)),
    max: ms(sorted.length ? sorted[sorted.length - 1]! : 0),
    mean: ms(sorted.length ? sum / sorted.length : 0),
  };
}

/** The median of each figure over rounds (the mean of the middle two for an even count). */
export function medianFigures(rounds: readonly Figures[]): Figures {
  const med = (pick: (f: Figures) => number | undefined): number | undefined => {
    const xs = rounds
      .map(pick)
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    if (xs.length === 0) return undefined;
    const mid = xs.length >> 1;
    return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  };
  const latencyMs = Object.fromEntries(LATENCY_KEYS.map((k) => [k, med((f) => f.latencyMs[k])!])) as unknown as Latency;
  const cpuPer1000 = med((f) => f.cpuPer1000);
  return {
    requests: med((f) => f.requests)!,
    seconds: med((f) => f.seconds)!,
    rate: med((f) => f.rate)!,
    latencyMs,
    errors: med((f) => f.errors)!,
    ...(cpuPer1000 !== undefined ? { cpuPer1000 } : {}),
    ...(rounds.some((f) => f.termChanged) ? { termChanged: true } : {}),
  };
}
