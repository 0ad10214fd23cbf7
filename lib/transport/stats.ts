// Per-peer counters and round-trip times (HTTP/2 PING), for /v2/stats/leader-like reports.

export interface RttReport {
  readonly last: number;
  readonly min: number;
  readonly max: number;
  readonly avg: number;
  readonly stddev: number;
  readonly samples: number;
}

export interface PeerStatsReport {
  /** The outgoing message stream to the peer is open and accepted. */
  readonly connected: boolean;
  readonly sentBytes: number;
  readonly recvBytes: number;
  readonly sentMsgs: number;
  readonly recvMsgs: number;
  /** Messages not sent because the peer was unreachable or too far behind. */
  readonly droppedMsgs: number;
  readonly rttMs: RttReport;
}

/** Running mean and variance (Welford), so no sample list grows. */
export class RttStats {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private last = 0;
  private min = 0;
  private max = 0;

  add(ms: number): void {
    this.n++;
    this.last = ms;
    if (this.n === 1 || ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    const d = ms - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (ms - this.mean);
  }

  report(): RttReport {
    return {
      last: this.last,
      min: this.min,
      max: this.max,
      avg: this.mean,
      stddev: this.n > 1 ? Math.sqrt(this.m2 / this.n) : 0,
      samples: this.n,
    };
  }
}

export class PeerCounters {
  sentBytes = 0;
  recvBytes = 0;
  sentMsgs = 0;
  recvMsgs = 0;
  droppedMsgs = 0;
  readonly rtt = new RttStats();

  report(connected: boolean): PeerStatsReport {
    return {
      connected,
      sentBytes: this.sentBytes,
      recvBytes: this.recvBytes,
      sentMsgs: this.sentMsgs,
      recvMsgs: this.recvMsgs,
      droppedMsgs: this.droppedMsgs,
      rttMs: this.rtt.report(),
    };
  }
}
