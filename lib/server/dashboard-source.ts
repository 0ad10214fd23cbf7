// What the dashboard shows, gathered by the member that serves the page:
// its own status, the other members' (asked on their peer port, so the
// browser never talks to anything but the member it opened) and the leader's
// latency view (its own when it leads, else asked of the leader).

import type { Logger } from 'pino';
import type { ConnectionOptions } from 'node:tls';
import type { Metrics } from '../metrics/index.js';
import type { Runtime, Timer } from '../runtime/index.js';
import { fetchPeerJSON } from '../transport/index.js';
import type {
  ClusterReport,
  DashboardRole,
  LatencyReport,
  MemberRow,
  MemberStatus,
  PeerLatencyAnswer,
} from './dashboard-types.js';
import type { LatencyView } from './latency-history.js';
import type { DashboardService, MemberInfo } from './service.js';
import { StatusHistory, type FsyncHistogram } from './status-history.js';

/** Peer-port paths (under the peer server's /dashboard/ prefix). */
export const PEER_STATUS_PATH = '/dashboard/status';
export const PEER_LATENCY_PATH = '/dashboard/latency';

/** Status samples kept: ten minutes at one a second. */
export const KEEP_SECONDS = 600;
const SAMPLE_INTERVAL_MS = 1000;
/** How long the serving member waits for another member's answer. */
const PEER_TIMEOUT_MS = 1500;
/** Peer requests in flight at once for dashboards; past it a view says it is busy. */
const MAX_PEER_REQUESTS = 32;

export interface RaftProgress {
  readonly role: DashboardRole;
  readonly leader: string;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly unhealthy: string | null;
}

/** What the dashboard needs of its member. */
export interface DashboardMember {
  readonly id: string;
  readonly name: string;
  readonly clusterId: string;
  progress(): RaftProgress;
  members(): readonly MemberInfo[];
  storeStats(): Record<string, number>;
  /** The leader's latency view of its followers; null on a member that does not lead. */
  latencyView(now: number, seconds: number): LatencyView | null;
}

export interface DashboardSourceOptions {
  readonly metrics: Metrics;
  readonly peerClientTls: ConnectionOptions | null;
  readonly logger: Logger;
  readonly startedAt: number;
  readonly runtime: Runtime;
}

const READ_COUNTERS = ['getsSuccess', 'getsFail'];
const WRITE_COUNTERS = [
  'setsSuccess',
  'setsFail',
  'deleteSuccess',
  'deleteFail',
  'updateSuccess',
  'updateFail',
  'createSuccess',
  'createFail',
  'compareAndSwapSuccess',
  'compareAndSwapFail',
  'compareAndDeleteSuccess',
  'compareAndDeleteFail',
  'expireCount',
];

function total(counters: Record<string, number>, names: readonly string[]): number {
  let n = 0;
  for (const name of names) n += counters[name] ?? 0;
  return n;
}

/** The fsync histogram's cumulative buckets, in seconds, as prom-client reports them. */
async function readFsync(metrics: Metrics): Promise<FsyncHistogram> {
  const got = await metrics.walFsync.get();
  const bounds: number[] = [];
  const cumulative: number[] = [];
  let sumSeconds = 0;
  for (const v of got.values) {
    if (v.metricName?.endsWith('_bucket')) {
      const le = v.labels.le;
      bounds.push(le === '+Inf' ? Infinity : Number(le));
      cumulative.push(v.value);
    } else if (v.metricName?.endsWith('_sum')) sumSeconds = v.value;
  }
  return { bounds, cumulative, sumSeconds };
}

function parseNumberParam(query: string, name: string, fallback: number, min: number, max: number): number {
  const raw = new URLSearchParams(query).get(name);
  const n = raw === null ? NaN : Number(raw);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.floor(n))) : fallback;
}

export class DashboardSource implements DashboardService {
  private readonly history = new StatusHistory(KEEP_SECONDS);
  private timer: Timer | null = null;
  private sampling = false;
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly member: DashboardMember,
    private readonly opts: DashboardSourceOptions,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    void this.sample();
    this.timer = this.opts.runtime.scheduler.every(SAMPLE_INTERVAL_MS, () => void this.sample());
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** Answers a GET on the peer port under /dashboard/ (path with query); null for an unknown path. */
  answerPeer(pathAndQuery: string): unknown {
    const q = pathAndQuery.indexOf('?');
    const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
    const query = q < 0 ? '' : pathAndQuery.slice(q + 1);
    if (path === PEER_STATUS_PATH) return this.status(parseNumberParam(query, 'since', 0, 0, Number.MAX_SAFE_INTEGER));
    if (path === PEER_LATENCY_PATH) {
      const view = this.member.latencyView(
        this.opts.runtime.clock.now(),
        parseNumberParam(query, 'seconds', 300, 1, KEEP_SECONDS),
      );
      const answer: PeerLatencyAnswer = view === null ? { notLeader: this.member.progress().leader } : { view };
      return answer;
    }
    return null;
  }

  /** This member's status with its samples newer than `since` (seconds since the epoch). */
  status(since: number): MemberStatus {
    const p = this.member.progress();
    return {
      id: this.member.id,
      name: this.member.name,
      role: p.role,
      leader: p.leader,
      term: p.term,
      commit: p.commit,
      applied: p.applied,
      unhealthy: p.unhealthy,
      startedAt: this.opts.startedAt,
      watchers: this.member.storeStats().watchers ?? 0,
      fsync: this.history.fsyncOver(60),
      samples: this.history.since(since),
      leaderChanges: this.history.leaderChanges(),
    };
  }

  /** Every member with its status: this one's at once, the others' asked on their peer ports in parallel. */
  async clusterReport(since: number): Promise<ClusterReport> {
    const rows = await Promise.all(
      this.member.members().map(async (m): Promise<MemberRow> => {
        const row = { id: m.id, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs };
        if (m.id === this.member.id) return { ...row, status: this.status(since), problem: null };
        try {
          const status = (await this.askPeer(m, `${PEER_STATUS_PATH}?since=${since}`)) as MemberStatus;
          return { ...row, status, problem: null };
        } catch (err) {
          return { ...row, status: null, problem: (err as Error).message };
        }
      }),
    );
    return { now: this.opts.runtime.clock.now(), servedBy: this.member.id, members: rows };
  }

  /** The leader's latency view: this member's when it leads, else fetched from the leader. */
  async latencyReport(seconds: number): Promise<LatencyReport> {
    const span = Math.min(KEEP_SECONDS, Math.max(1, Math.floor(seconds)));
    const members = this.member.members();
    const names: Record<string, string> = {};
    for (const m of members) names[m.id] = m.name;
    const base = { now: this.opts.runtime.clock.now(), servedBy: this.member.id, names };
    const own = this.member.latencyView(base.now, span);
    const leaderId = this.member.progress().leader;
    const leader = leaderId === '' ? null : { id: leaderId, name: names[leaderId] ?? '' };
    if (own !== null) return { ...base, leader, via: 'self', view: own, problem: null };
    if (leader === null) {
      return {
        ...base,
        leader,
        via: null,
        view: null,
        problem:
          'No leader is elected right now: the members that answer are not a majority, or an election is under way.',
      };
    }
    const info = members.find((m) => m.id === leaderId);
    if (info === undefined)
      return {
        ...base,
        leader,
        via: null,
        view: null,
        problem: `The leader ${leaderId} is not in this member's member list yet.`,
      };
    try {
      const answer = (await this.askPeer(info, `${PEER_LATENCY_PATH}?seconds=${span}`)) as PeerLatencyAnswer;
      if ('view' in answer) return { ...base, leader, via: 'leader', view: answer.view, problem: null };
      return {
        ...base,
        leader,
        via: null,
        view: null,
        problem: `${leader.name || leaderId} no longer leads; a new leader is being elected.`,
      };
    } catch (err) {
      return {
        ...base,
        leader,
        via: null,
        view: null,
        problem: `Could not reach the leader ${leader.name || leaderId} for its view: ${(err as Error).message}`,
      };
    }
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const p = this.member.progress();
      const counters = this.member.storeStats();
      const fsync = await readFsync(this.opts.metrics);
      this.history.add({
        at: this.opts.runtime.clock.now(),
        term: p.term,
        commit: p.commit,
        applied: p.applied,
        leader: p.leader,
        reads: total(counters, READ_COUNTERS),
        writes: total(counters, WRITE_COUNTERS),
        fsync,
      });
    } catch (err) {
      this.opts.logger.debug({ err: (err as Error).message }, 'dashboard sample failed');
    } finally {
      this.sampling = false;
    }
  }

  /** GETs a dashboard path from a member's peer port, trying its URLs in turn; one request per member and path at a time. */
  private askPeer(m: MemberInfo, path: string): Promise<unknown> {
    const key = `${m.id} ${path}`;
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    if (this.inFlight.size >= MAX_PEER_REQUESTS)
      return Promise.reject(new Error('too many dashboard requests in flight; try again shortly'));
    const ask = async (): Promise<unknown> => {
      let last: Error = new Error(`${m.name || m.id} has no peer URL`);
      for (const url of m.peerURLs) {
        try {
          return await fetchPeerJSON(url, path, {
            clientTls: this.opts.peerClientTls,
            clusterId: this.member.clusterId,
            timeoutMs: PEER_TIMEOUT_MS,
          });
        } catch (err) {
          last = err as Error;
        }
      }
      throw last;
    };
    const p = ask().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }
}
