// One member's recent past, sampled once a second for the dashboard's
// cluster view: raft term, commit and applied index, the leader it follows,
// reads and writes per second (from the store's counters) and WAL fsync
// latency (from the fsync histogram), plus the leader changes it saw.

/** Cumulative counters read at one instant; the history turns them into per-second figures. */
export interface StatusReading {
  /** Wall-clock time, ms since the epoch. */
  readonly at: number;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  /** The leader this member follows ('' when none). */
  readonly leader: string;
  /** Reads served from this member's tree, ever. */
  readonly reads: number;
  /** Mutations applied to this member's tree, ever. */
  readonly writes: number;
  readonly fsync: FsyncHistogram;
}

/** A Prometheus-style histogram of fsync durations: upper bounds in seconds and cumulative counts (the last bound is Infinity). */
export interface FsyncHistogram {
  readonly bounds: readonly number[];
  readonly cumulative: readonly number[];
  readonly sumSeconds: number;
}

export interface StatusSample {
  /** Seconds since the epoch. */
  readonly t: number;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly leader: string;
  readonly readsPerSecond: number | null;
  readonly writesPerSecond: number | null;
  readonly fsyncs: number;
  readonly fsyncMeanMs: number | null;
  readonly fsyncP99Ms: number | null;
}

export interface LeaderChange {
  /** Seconds since the epoch (to the sampling second). */
  readonly t: number;
  /** '' when the member lost its leader. */
  readonly leader: string;
  readonly term: number;
}

/** fsync figures over several samples. */
export interface FsyncFigures {
  readonly count: number;
  readonly meanMs: number | null;
  readonly p99Ms: number | null;
}

const MAX_LEADER_CHANGES = 100;

/**
 * The q-quantile of a histogram given as per-bucket counts, interpolated
 * linearly inside its bucket as Prometheus' histogram_quantile does; a
 * quantile in the open last bucket is that bucket's lower bound.
 */
export function histogramQuantile(q: number, bounds: readonly number[], counts: readonly number[]): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let b = 0; b < counts.length; b++) {
    const c = counts[b]!;
    if (seen + c >= rank && c > 0) {
      const lower = b === 0 ? 0 : bounds[b - 1]!;
      const upper = bounds[b]!;
      if (!Number.isFinite(upper)) return lower;
      return lower + (upper - lower) * ((rank - seen) / c);
    }
    seen += c;
  }
  return null;
}

export class StatusHistory {
  private readonly samples: StatusSample[] = [];
  /** Per-bucket fsync counts of each sample, parallel to samples. */
  private readonly fsyncBuckets: number[][] = [];
  private readonly changes: LeaderChange[] = [];
  private previous: StatusReading | null = null;

  constructor(private readonly keep: number) {}

  /** Adds one reading; a reading in the same second as the last one replaces nothing and is ignored. */
  add(r: StatusReading): void {
    const t = Math.floor(r.at / 1000);
    const last = this.samples.at(-1);
    if (last !== undefined && t <= last.t) return;
    const prev = this.previous;
    const dt = prev === null ? 0 : (r.at - prev.at) / 1000;
    const rate = (now: number, before: number | undefined) =>
      prev === null || dt <= 0 || before === undefined || now < before ? null : (now - before) / dt;
    const buckets = bucketDeltas(r.fsync, prev?.fsync ?? null);
    let fsyncs = 0;
    for (const c of buckets) fsyncs += c;
    const sumDelta = prev === null ? 0 : r.fsync.sumSeconds - prev.fsync.sumSeconds;
    this.push(
      {
        t,
        term: r.term,
        commit: r.commit,
        applied: r.applied,
        leader: r.leader,
        readsPerSecond: rate(r.reads, prev?.reads),
        writesPerSecond: rate(r.writes, prev?.writes),
        fsyncs,
        fsyncMeanMs: fsyncs > 0 && sumDelta >= 0 ? (sumDelta / fsyncs) * 1000 : null,
        fsyncP99Ms: scaled(histogramQuantile(0.99, r.fsync.bounds, buckets)),
      },
      buckets,
    );
    if (prev === null || prev.leader !== r.leader) {
      this.changes.push({ t, leader: r.leader, term: r.term });
      if (this.changes.length > MAX_LEADER_CHANGES) this.changes.shift();
    }
    this.previous = r;
  }

  /** Samples newer than `since` (seconds since the epoch), oldest first. */
  since(since: number): StatusSample[] {
    let i = this.samples.length;
    while (i > 0 && this.samples[i - 1]!.t > since) i--;
    return this.samples.slice(i);
  }

  latest(): StatusSample | null {
    return this.samples.at(-1) ?? null;
  }

  leaderChanges(): readonly LeaderChange[] {
    return this.changes;
  }

  /** fsync count, mean and p99 over the last `n` samples. */
  fsyncOver(n: number): FsyncFigures {
    const bounds = this.previous?.fsync.bounds ?? [];
    const merged = new Array<number>(bounds.length).fill(0);
    let count = 0;
    let weighted = 0;
    for (let k = Math.max(0, this.samples.length - n); k < this.samples.length; k++) {
      const s = this.samples[k]!;
      const b = this.fsyncBuckets[k]!;
      for (let i = 0; i < merged.length; i++) merged[i]! += b[i] ?? 0;
      count += s.fsyncs;
      if (s.fsyncMeanMs !== null) weighted += s.fsyncMeanMs * s.fsyncs;
    }
    return {
      count,
      meanMs: count > 0 ? weighted / count : null,
      p99Ms: scaled(histogramQuantile(0.99, bounds, merged)),
    };
  }

  private push(s: StatusSample, buckets: number[]): void {
    this.samples.push(s);
    this.fsyncBuckets.push(buckets);
    if (this.samples.length > this.keep) {
      this.samples.shift();
      this.fsyncBuckets.shift();
    }
  }
}

/** Per-bucket counts added since the previous histogram (none for the first). */
function bucketDeltas(now: FsyncHistogram, before: FsyncHistogram | null): number[] {
  const out = new Array<number>(now.cumulative.length).fill(0);
  if (before === null || before.cumulative.length !== now.cumulative.length) return out;
  let lastNow = 0;
  let lastBefore = 0;
  for (let i = 0; i < now.cumulative.length; i++) {
    const inNow = now.cumulative[i]! - lastNow;
    const inBefore = before.cumulative[i]! - lastBefore;
    out[i] = Math.max(0, inNow - inBefore);
    lastNow = now.cumulative[i]!;
    lastBefore = before.cumulative[i]!;
  }
  return out;
}

function scaled(seconds: number | null): number | null {
  return seconds === null ? null : seconds * 1000;
}
