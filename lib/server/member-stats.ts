// What a member counts about itself and its peers: etcd's /v2/stats/self and
// /v2/stats/leader, the dashboard's follower latency and the Prometheus
// gauges read at scrape time.

import type { Entry, MemberId, Message, Role } from '../raft/index.js';
import { NO_MEMBER } from '../raft/index.js';
import type { Metrics } from '../metrics/index.js';
import type { Clock } from '../runtime/index.js';
import { LatencyHistory, type LatencyView } from './latency-history.js';
import { KEEP_SECONDS } from './dashboard-source.js';
import { goDuration, goTime, LatencyStats, RateCounter } from './stats.js';
import type { TrafficObserver } from './raft-node.js';

export interface MemberStatsOptions {
  readonly id: MemberId;
  readonly name: string;
  readonly clock: Clock;
  readonly heartbeatMs: number;
}

/** Gauges the member fills at each scrape. */
export interface MemberGauges {
  readonly commit: number;
  readonly applied: number;
  readonly proposalsPending: number;
  readonly readsPending: number;
  readonly watchers: number;
  readonly keys: number;
  readonly storeIndex: number;
  readonly peers: Readonly<Record<string, { readonly sentBytes: number; readonly recvBytes: number }>>;
}

export class MemberStats implements TrafficObserver {
  readonly startTime: number;
  private role: Role = 'follower';
  private leader: MemberId = NO_MEMBER;
  private leaderSince = 0;
  private readonly followerStats = new Map<string, LatencyStats>();
  /** When the oldest unanswered append to each follower was sent (monotonic ms). */
  private readonly appendSentAt = new Map<string, number>();
  private readonly recvAppend = new RateCounter();
  private readonly sendAppend = new RateCounter();
  /** Follower round trips second by second, for the dashboard's latency view. */
  private readonly latency: LatencyHistory;

  constructor(private readonly opts: MemberStatsOptions) {
    this.startTime = opts.clock.now();
    this.latency = new LatencyHistory({
      keepSeconds: KEEP_SECONDS,
      silentAfterMs: Math.max(1000, 5 * opts.heartbeatMs),
    });
  }

  roleChanged(role: Role, leader: MemberId): void {
    if (leader !== this.leader) {
      this.leader = leader;
      this.leaderSince = this.opts.clock.now();
    }
    this.role = role;
  }

  sent(msgs: readonly Message[]): void {
    const now = this.opts.clock.now();
    for (const m of msgs) {
      if (m.type === 'append') this.sendAppend.add(now, entryBytes(m.entries));
      // Heartbeats count too: an idle cluster still shows how fast each follower answers.
      if ((m.type === 'append' || m.type === 'heartbeat') && !this.appendSentAt.has(m.to))
        this.appendSentAt.set(m.to, this.opts.clock.monotonic());
    }
  }

  received(m: Message): void {
    if (m.type === 'append') this.recvAppend.add(this.opts.clock.now(), entryBytes(m.entries));
    if (m.type === 'appendResp' || m.type === 'heartbeatResp')
      this.answered(m.from, m.type === 'appendResp' && m.reject);
  }

  unreachable(id: MemberId): void {
    const st = this.followerStats.get(id);
    if (st && this.role === 'leader') st.fail++;
    if (this.role === 'leader') this.latency.failure(id, this.opts.clock.now());
    this.appendSentAt.delete(id);
  }

  private answered(from: MemberId, rejected: boolean): void {
    let st = this.followerStats.get(from);
    if (!st) this.followerStats.set(from, (st = new LatencyStats()));
    const sentAt = this.appendSentAt.get(from);
    if (sentAt !== undefined) {
      const ms = this.opts.clock.monotonic() - sentAt;
      st.record(ms);
      this.latency.record(from, ms, this.opts.clock.now());
      this.appendSentAt.delete(from);
    }
    if (rejected) {
      st.fail++;
      this.latency.failure(from, this.opts.clock.now());
    } else st.success++;
  }

  /** etcd's /v2/stats/self. */
  selfStats(): unknown {
    const now = this.opts.clock.now();
    const recv = this.recvAppend.rates(now);
    const send = this.sendAppend.rates(now);
    return {
      name: this.opts.name,
      id: this.opts.id,
      state: roleName(this.role),
      startTime: goTime(this.startTime),
      leaderInfo: {
        leader: this.leader,
        uptime: goDuration(this.leader === NO_MEMBER ? 0 : now - this.leaderSince),
        startTime: goTime(this.leaderSince || this.startTime),
      },
      recvAppendRequestCnt: this.recvAppend.count,
      ...(recv.pkg > 0 ? { recvPkgRate: recv.pkg, recvBandwidthRate: recv.bandwidth } : {}),
      sendAppendRequestCnt: this.sendAppend.count,
      ...(send.pkg > 0 ? { sendPkgRate: send.pkg, sendBandwidthRate: send.bandwidth } : {}),
    };
  }

  /** etcd's /v2/stats/leader; null on a member that does not lead. */
  leaderStats(memberIds: readonly string[]): unknown | null {
    if (this.role !== 'leader') return null;
    const followers: Record<string, unknown> = {};
    for (const id of memberIds) {
      if (id === this.opts.id) continue;
      followers[id] = (this.followerStats.get(id) ?? new LatencyStats()).toJSON();
    }
    return { leader: this.opts.id, followers };
  }

  /** The followers' latency over the last `seconds`, when this member leads. */
  latencyView(now: number, seconds: number, memberIds: readonly string[]): LatencyView | null {
    if (this.role !== 'leader') return null;
    const followers = memberIds.filter((id) => id !== this.opts.id);
    this.latency.retain(followers);
    return this.latency.view(now, seconds, followers);
  }

  /** Registers the scrape-time gauges. */
  register(metrics: Metrics, gauges: () => MemberGauges): void {
    metrics.hasLeader.set(0);
    metrics.onCollect(() => {
      const g = gauges();
      metrics.proposalsCommitted.set(g.commit);
      metrics.proposalsApplied.set(g.applied);
      metrics.proposalsPending.set(g.proposalsPending);
      metrics.quorumReadsPending.set(g.readsPending);
      metrics.watchers.set(g.watchers);
      metrics.keys.set(g.keys);
      metrics.storeIndex.set(g.storeIndex);
      for (const [id, p] of Object.entries(g.peers)) {
        metrics.peerSentBytes.set({ To: id }, p.sentBytes);
        metrics.peerReceivedBytes.set({ From: id }, p.recvBytes);
      }
    });
  }
}

function entryBytes(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) n += e.data.length;
  return n;
}

function roleName(role: Role): string {
  switch (role) {
    case 'leader':
      return 'StateLeader';
    case 'candidate':
    case 'preCandidate':
      return 'StateCandidate';
    case 'follower':
      return 'StateFollower';
  }
}
