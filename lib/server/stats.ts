// etcd's /v2/stats/self and /v2/stats/leader shapes, fed by the member.

/** Go's time.Duration.String(), which etcd prints for uptimes ("3m32.338676126s"). */
export function goDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const totalNs = Math.round(ms * 1e6);
  if (totalNs < 1e3) return `${totalNs}ns`;
  if (totalNs < 1e6) return `${trimFraction(totalNs / 1e3)}µs`;
  if (totalNs < 1e9) return `${trimFraction(totalNs / 1e6)}ms`;
  const h = Math.floor(totalNs / 3.6e12);
  const m = Math.floor((totalNs % 3.6e12) / 6e10);
  const s = (totalNs % 6e10) / 1e9;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${trimFraction(s)}s`;
}

function trimFraction(n: number): string {
  return n.toFixed(9).replace(/\.?0+$/, '');
}

/** RFC 3339 with nanoseconds, as Go prints time.Time. */
export function goTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.(\d{3})Z$/, (_, f: string) => (f === '000' ? 'Z' : `.${f.replace(/0+$/, '')}Z`));
}

/** Running latency figures for one follower, in milliseconds. */
export class LatencyStats {
  current = 0;
  average = 0;
  minimum = 0;
  maximum = 0;
  private count = 0;
  private sumSquares = 0;
  success = 0;
  fail = 0;

  record(ms: number): void {
    this.current = ms;
    this.count++;
    this.minimum = this.count === 1 ? ms : Math.min(this.minimum, ms);
    this.maximum = Math.max(this.maximum, ms);
    this.average += (ms - this.average) / this.count;
    this.sumSquares += ms * ms;
  }

  get standardDeviation(): number {
    if (this.count === 0) return 0;
    return Math.sqrt(Math.max(0, this.sumSquares / this.count - this.average * this.average));
  }

  toJSON(): unknown {
    return {
      latency: {
        current: this.current,
        average: this.average,
        standardDeviation: this.standardDeviation,
        minimum: this.minimum,
        maximum: this.maximum,
      },
      counts: { fail: this.fail, success: this.success },
    };
  }
}

/** Messages and bytes per second over the last second, as etcd's send/recv rates (ten 100 ms buckets). */
export class RateCounter {
  count = 0;
  bytes = 0;
  private readonly pkgs = new Float64Array(10);
  private readonly sizes = new Float64Array(10);
  private bucket = -1;

  add(now: number, bytes: number): void {
    this.count++;
    this.bytes += bytes;
    const i = this.roll(now);
    this.pkgs[i]! += 1;
    this.sizes[i]! += bytes;
  }

  rates(now: number): { pkg: number; bandwidth: number } {
    this.roll(now);
    let pkg = 0;
    let bandwidth = 0;
    for (let i = 0; i < 10; i++) {
      pkg += this.pkgs[i]!;
      bandwidth += this.sizes[i]!;
    }
    return { pkg, bandwidth };
  }

  /** Clears the buckets that fell out of the window; returns the current one. */
  private roll(now: number): number {
    const b = Math.floor(now / 100);
    if (this.bucket < 0 || b - this.bucket >= 10) {
      this.pkgs.fill(0);
      this.sizes.fill(0);
    } else {
      for (let k = this.bucket + 1; k <= b; k++) {
        this.pkgs[k % 10] = 0;
        this.sizes[k % 10] = 0;
      }
    }
    this.bucket = Math.max(this.bucket, b);
    return b % 10;
  }
}
