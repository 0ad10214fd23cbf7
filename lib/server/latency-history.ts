// The leader's memory of how long each follower took to answer, second by
// second over the last minutes, so the dashboard can draw a curve the moment
// it opens and give window figures (average, p99, min, max, failures)
// instead of the all-time ones /v2/stats/leader carries.
//
// Each second of each follower is one slot of a ring: count, sum, min, max,
// failures and a log-scale histogram (four bins per doubling), which bounds
// the memory whatever the request rate and gives percentiles within about 9%.

/** Smallest latency the histogram tells apart, in ms; anything faster lands in bin 0. */
const HIST_MIN_MS = 0.01;
const BINS_PER_DOUBLING = 4;
/** 0.01 ms × 2^23 ≈ 84 s: anything slower lands in the last bin (the exact maximum is kept apart). */
const BINS = BINS_PER_DOUBLING * 23;
/** Seconds over which the figure that ranks followers (for the slowest of the majority) is taken. */
export const RECENT_SECONDS = 10;

export interface LatencyHistoryOptions {
  /** How many seconds are kept (the longest window a view may ask for). */
  readonly keepSeconds: number;
  /** A follower that has not answered for this long counts as silent (slowest of all). */
  readonly silentAfterMs: number;
}

/** Figures over a window; the latencies are null when the follower never answered in it. */
export interface WindowFigures {
  readonly samples: number;
  readonly failures: number;
  readonly average: number | null;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly minimum: number | null;
  readonly maximum: number | null;
}

export interface FollowerLatency {
  readonly id: string;
  /** The last measured round trip, in ms (null before the first answer). */
  readonly current: number | null;
  /** Time since the last answer, in ms (null before the first answer). */
  readonly lastAnswerAgoMs: number | null;
  /** No answer for longer than silentAfterMs (or never). */
  readonly silent: boolean;
  /** Average over the last RECENT_SECONDS, the figure followers are ranked by. */
  readonly recent: number | null;
  readonly window: WindowFigures;
  /** Per second, oldest first, aligned with LatencyView.start: mean and maximum in ms, null where nothing was answered. */
  readonly mean: (number | null)[];
  readonly max: (number | null)[];
  /** Per second: failed sends and rejected appends. */
  readonly failed: number[];
}

export interface LatencyView {
  /** Wall-clock time of the view, ms since the epoch. */
  readonly now: number;
  /** The first second of the series, in seconds since the epoch; one point per second after it. */
  readonly start: number;
  readonly seconds: number;
  readonly followers: FollowerLatency[];
  /** Members that vote, the leader included. */
  readonly voters: number;
  /** How many members (the leader included) a write needs. */
  readonly quorum: number;
  /**
   * The follower whose answer completes a majority: commits wait for it,
   * so it sets the pace of every write. null without followers.
   */
  readonly slowestOfMajority: string | null;
}

/** To the microsecond: finer digits are noise and only lengthen the JSON. */
function micros(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function nullable(ms: number | null): number | null {
  return ms === null ? null : micros(ms);
}

/** Which histogram bin a latency falls in. */
export function binOf(ms: number): number {
  if (!(ms > HIST_MIN_MS)) return 0;
  return Math.min(BINS - 1, Math.floor(Math.log2(ms / HIST_MIN_MS) * BINS_PER_DOUBLING));
}

/** The middle (geometric) of a bin, in ms. */
function binMiddle(bin: number): number {
  return HIST_MIN_MS * 2 ** ((bin + 0.5) / BINS_PER_DOUBLING);
}

/**
 * The q-quantile (0..1) of the latencies counted in a histogram, estimated
 * as the middle of the bin it falls in, kept inside [min, max].
 */
export function quantileOf(hist: ArrayLike<number>, count: number, q: number, min: number, max: number): number | null {
  if (count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b]!;
    if (seen >= rank) return Math.min(max, Math.max(min, binMiddle(b)));
  }
  return max;
}

class FollowerRing {
  /** The second each slot holds (-1: empty). */
  readonly second: Float64Array;
  readonly count: Uint32Array;
  readonly sum: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly failed: Uint32Array;
  readonly hist: Uint32Array;
  lastMs: number | null = null;
  lastAnswerAt: number | null = null;

  constructor(readonly size: number) {
    this.second = new Float64Array(size).fill(-1);
    this.count = new Uint32Array(size);
    this.sum = new Float64Array(size);
    this.min = new Float64Array(size);
    this.max = new Float64Array(size);
    this.failed = new Uint32Array(size);
    this.hist = new Uint32Array(size * BINS);
  }

  /** The slot for a second, cleared when it held an older one; -1 for a second older than the slot's. */
  slot(sec: number): number {
    const i = sec % this.size;
    const held = this.second[i]!;
    if (held === sec) return i;
    if (held > sec) return -1;
    this.second[i] = sec;
    this.count[i] = 0;
    this.sum[i] = 0;
    this.min[i] = Infinity;
    this.max[i] = 0;
    this.failed[i] = 0;
    this.hist.fill(0, i * BINS, (i + 1) * BINS);
    return i;
  }

  /** The slot holding exactly this second, or -1. */
  find(sec: number): number {
    const i = sec % this.size;
    return this.second[i] === sec ? i : -1;
  }
}

export class LatencyHistory {
  private readonly rings = new Map<string, FollowerRing>();

  constructor(private readonly opts: LatencyHistoryOptions) {
    if (!(opts.keepSeconds >= 1)) throw new RangeError('keepSeconds must be at least 1');
  }

  /** A round trip to a follower that took `ms`, answered at wall-clock time `at` (ms). */
  record(follower: string, ms: number, at: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const ring = this.ring(follower);
    const i = ring.slot(Math.floor(at / 1000));
    ring.lastMs = ms;
    ring.lastAnswerAt = Math.max(ring.lastAnswerAt ?? at, at);
    if (i < 0) return;
    ring.count[i]! += 1;
    ring.sum[i]! += ms;
    if (ms < ring.min[i]!) ring.min[i] = ms;
    if (ms > ring.max[i]!) ring.max[i] = ms;
    ring.hist[i * BINS + binOf(ms)]! += 1;
  }

  /** A message to a follower that could not be sent, or an append it rejected. */
  failure(follower: string, at: number): void {
    const ring = this.ring(follower);
    const i = ring.slot(Math.floor(at / 1000));
    if (i >= 0) ring.failed[i]! += 1;
  }

  /** Forgets every follower not listed (members removed from the cluster). */
  retain(followers: readonly string[]): void {
    for (const id of [...this.rings.keys()]) if (!followers.includes(id)) this.rings.delete(id);
  }

  /** Forgets everything (a new leadership starts a new history). */
  clear(): void {
    this.rings.clear();
  }

  /**
   * The last `seconds` seconds up to `now` (ms) for these followers, in the
   * order given; followers never heard of have empty series.
   */
  view(now: number, seconds: number, followers: readonly string[]): LatencyView {
    const span = Math.max(1, Math.min(Math.floor(seconds), this.opts.keepSeconds));
    const nowSec = Math.floor(now / 1000);
    const start = nowSec - span + 1;
    const list = followers.map((id) => this.followerView(id, now, start, span));
    const voters = followers.length + 1;
    const quorum = Math.floor(voters / 2) + 1;
    return {
      now,
      start,
      seconds: span,
      followers: list,
      voters,
      quorum,
      slowestOfMajority: slowestOfMajority(list, quorum),
    };
  }

  private ring(id: string): FollowerRing {
    let ring = this.rings.get(id);
    if (ring === undefined) this.rings.set(id, (ring = new FollowerRing(this.opts.keepSeconds)));
    return ring;
  }

  private followerView(id: string, now: number, start: number, span: number): FollowerLatency {
    const ring = this.rings.get(id);
    const mean: (number | null)[] = new Array(span).fill(null);
    const max: (number | null)[] = new Array(span).fill(null);
    const failed: number[] = new Array(span).fill(0);
    const hist = new Float64Array(BINS);
    let samples = 0;
    let failures = 0;
    let sum = 0;
    let lo = Infinity;
    let hi = 0;
    let recentSum = 0;
    let recentCount = 0;
    if (ring !== undefined) {
      for (let k = 0; k < span; k++) {
        const i = ring.find(start + k);
        if (i < 0) continue;
        failed[k] = ring.failed[i]!;
        failures += ring.failed[i]!;
        const n = ring.count[i]!;
        if (n === 0) continue;
        mean[k] = micros(ring.sum[i]! / n);
        max[k] = micros(ring.max[i]!);
        samples += n;
        sum += ring.sum[i]!;
        lo = Math.min(lo, ring.min[i]!);
        hi = Math.max(hi, ring.max[i]!);
        for (let b = 0; b < BINS; b++) hist[b]! += ring.hist[i * BINS + b]!;
        if (k >= span - RECENT_SECONDS) {
          recentSum += ring.sum[i]!;
          recentCount += n;
        }
      }
    }
    const lastAnswerAgoMs = ring?.lastAnswerAt != null ? Math.max(0, now - ring.lastAnswerAt) : null;
    return {
      id,
      current: ring?.lastMs != null ? micros(ring.lastMs) : null,
      lastAnswerAgoMs,
      silent: lastAnswerAgoMs === null || lastAnswerAgoMs > this.opts.silentAfterMs,
      recent: recentCount > 0 ? micros(recentSum / recentCount) : null,
      window: {
        samples,
        failures,
        average: samples > 0 ? micros(sum / samples) : null,
        p50: nullable(quantileOf(hist, samples, 0.5, lo, hi)),
        p99: nullable(quantileOf(hist, samples, 0.99, lo, hi)),
        minimum: samples > 0 ? micros(lo) : null,
        maximum: samples > 0 ? micros(hi) : null,
      },
      mean,
      max,
      failed,
    };
  }
}

/**
 * A write commits once `quorum - 1` followers (with the leader) have it: rank
 * followers by their recent latency, silent ones last, and the one at that
 * rank is the slowest the majority waits for.
 */
export function slowestOfMajority(
  followers: readonly Pick<FollowerLatency, 'id' | 'recent' | 'silent'>[],
  quorum: number,
): string | null {
  const needed = quorum - 1;
  if (needed < 1 || followers.length < needed) return null;
  const pace = (f: Pick<FollowerLatency, 'recent' | 'silent'>) => (f.silent || f.recent === null ? Infinity : f.recent);
  const ranked = [...followers].sort((a, b) => pace(a) - pace(b) || (a.id < b.id ? -1 : 1));
  return ranked[needed - 1]!.id;
}
