// Prometheus metrics (prom-client: a maintained, exact implementation of the
// text format, histograms and process metrics). Names follow etcd's where
// they mean the same thing, so an etcd operator's dashboards keep working.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  readonly hasLeader = new Gauge({
    name: 'etcd_server_has_leader',
    help: 'Whether or not a leader exists. 1 is existence, 0 is not.',
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({
    name: 'etcd_server_is_leader',
    help: 'Whether or not this member is a leader. 1 if is, 0 otherwise.',
    registers: [this.registry],
  });
  readonly leaderChanges = new Counter({
    name: 'etcd_server_leader_changes_seen_total',
    help: 'The number of leader changes seen.',
    registers: [this.registry],
  });
  readonly proposalsCommitted = new Gauge({
    name: 'etcd_server_proposals_committed_total',
    help: 'The total number of consensus proposals committed.',
    registers: [this.registry],
  });
  readonly proposalsApplied = new Gauge({
    name: 'etcd_server_proposals_applied_total',
    help: 'The total number of consensus proposals applied.',
    registers: [this.registry],
  });
  readonly proposalsPending = new Gauge({
    name: 'etcd_server_proposals_pending',
    help: 'The current number of pending proposals to commit.',
    registers: [this.registry],
  });
  readonly corruptionDetected = new Gauge({
    name: 'kvd_corruption_detected',
    help: '1 once the replica hash check found a member whose tree differs from the majority (on the leader and on that member).',
    registers: [this.registry],
  });
  readonly historyOldestIndex = new Gauge({
    name: 'kvd_history_oldest_index',
    help: 'The oldest store index a watch can still ask for (memory window, snapshots kept and the log after them).',
    registers: [this.registry],
  });
  readonly historyReplays = new Counter({
    name: 'kvd_history_replays_total',
    help: 'Replays of the log started: for watches older than the in-memory window (one serves every such watch) and for trees at a past index (atIndex reads, hashes).',
    labelNames: ['purpose'],
    registers: [this.registry],
  });
  readonly quorumReadsPending = new Gauge({
    name: 'kvd_server_quorum_reads_pending',
    help: 'Quorum reads waiting for a read point or for the apply loop.',
    registers: [this.registry],
  });
  readonly authRefusals = new Counter({
    name: 'kvd_auth_refusals_total',
    help: 'Client requests refused by auth: bad-credentials (malformed, unknown user, wrong password), no-credentials (root needed), forbidden (no permission).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly proposalsFailed = new Counter({
    name: 'etcd_server_proposals_failed_total',
    help: 'The total number of failed proposals seen.',
    registers: [this.registry],
  });
  readonly walFsync = new Histogram({
    name: 'etcd_disk_wal_fsync_duration_seconds',
    help: 'The latency distributions of fsync called by WAL.',
    buckets: [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024],
    registers: [this.registry],
  });
  readonly snapshotSave = new Histogram({
    name: 'etcd_debugging_snap_save_total_duration_seconds',
    help: 'The total latency distributions of save called by snapshot.',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers: [this.registry],
  });
  readonly peerRoundTrip = new Histogram({
    name: 'etcd_network_peer_round_trip_time_seconds',
    help: 'Round-Trip-Time histogram between peers.',
    labelNames: ['To'],
    buckets: [
      0.0001, 0.0002, 0.0004, 0.0008, 0.0016, 0.0032, 0.0064, 0.0128, 0.0256, 0.0512, 0.1024, 0.2048, 0.4096, 0.8192,
    ],
    registers: [this.registry],
  });
  readonly peerSentBytes = new Gauge({
    name: 'etcd_network_peer_sent_bytes_total',
    help: 'The total number of bytes sent to peers.',
    labelNames: ['To'],
    registers: [this.registry],
  });
  readonly peerReceivedBytes = new Gauge({
    name: 'etcd_network_peer_received_bytes_total',
    help: 'The total number of bytes received from peers.',
    labelNames: ['From'],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'etcd_http_received_total',
    help: 'Counter of requests received into the system (successfully parsed and authd).',
    labelNames: ['method'],
    registers: [this.registry],
  });
  readonly httpFailed = new Counter({
    name: 'etcd_http_failed_total',
    help: 'Counter of handle failures of requests (non-watches), by method (GET/PUT etc.) and code (400, 500 etc.).',
    labelNames: ['method', 'code'],
    registers: [this.registry],
  });
  readonly httpResponses = new Counter({
    name: 'kvd_http_responses_total',
    help: 'Client HTTP responses by method and status code.',
    labelNames: ['method', 'code'],
    registers: [this.registry],
  });
  readonly watchers = new Gauge({
    name: 'etcd_debugging_store_watchers',
    help: 'Count of currently active watchers.',
    registers: [this.registry],
  });
  readonly keys = new Gauge({
    name: 'kvd_store_nodes',
    help: 'Keys and directories in the key tree.',
    registers: [this.registry],
  });
  readonly storeIndex = new Gauge({
    name: 'kvd_store_index',
    help: 'The store index (X-Etcd-Index).',
    registers: [this.registry],
  });

  private collectors: (() => void)[] = [];
  /**
   * Responses by method and status, counted here and handed to prom-client at
   * each scrape: its inc() with labels hashes them on every call, a cost the
   * local GET load paid per request. As bounded as the counters' labels.
   */
  private readonly responseTallies = new Map<string, Map<number, { counted: number; reported: number }>>();

  /** Counts a client response; failures (4xx/5xx) also count as etcd's etcd_http_failed_total. */
  observeResponse(method: string, status: number): void {
    let byStatus = this.responseTallies.get(method);
    if (byStatus === undefined) this.responseTallies.set(method, (byStatus = new Map()));
    const tally = byStatus.get(status);
    if (tally === undefined) byStatus.set(status, { counted: 1, reported: 0 });
    else tally.counted++;
  }

  /** Hands the responses counted since the last scrape to the counters. */
  private reportResponses(): void {
    for (const [method, byStatus] of this.responseTallies) {
      for (const [status, tally] of byStatus) {
        const n = tally.counted - tally.reported;
        if (n === 0) continue;
        tally.reported = tally.counted;
        const code = String(status);
        this.httpRequests.inc({ method }, n);
        this.httpResponses.inc({ method, code }, n);
        if (status >= 400) this.httpFailed.inc({ method, code }, n);
      }
    }
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Gauges sampled from live state right before each scrape. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    this.reportResponses();
    for (const fn of this.collectors) fn();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
