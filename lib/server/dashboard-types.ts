// The JSON the dashboard reads: what /dashboard/api/* answers on the client
// port and /dashboard/* on the peer port. Types only, so the browser code can
// share them.

import type { LatencyView } from './latency-history.js';
import type { FsyncFigures, LeaderChange, StatusSample } from './status-history.js';

export type { FollowerLatency, LatencyView, WindowFigures } from './latency-history.js';
export type { FsyncFigures, LeaderChange, StatusSample } from './status-history.js';

export type DashboardRole = 'leader' | 'follower' | 'candidate';

/** One member as it sees itself (GET /dashboard/status on its peer port). */
export interface MemberStatus {
  readonly id: string;
  readonly name: string;
  readonly role: DashboardRole;
  /** The leader it follows, '' when none. */
  readonly leader: string;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  /** null when healthy, else why not (no leader, log failed, stopping). */
  readonly unhealthy: string | null;
  /** When the process started, ms since the epoch. */
  readonly startedAt: number;
  readonly watchers: number;
  /** WAL fsync over the last minute. */
  readonly fsync: FsyncFigures;
  /** Samples newer than the `since` asked for. */
  readonly samples: readonly StatusSample[];
  readonly leaderChanges: readonly LeaderChange[];
}

/** Answer of GET /dashboard/latency on a member's peer port. */
export type PeerLatencyAnswer = { readonly view: LatencyView } | { readonly notLeader: string };

export interface MemberRow {
  readonly id: string;
  /** '' for a member added to the cluster that has not started yet. */
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
  readonly status: MemberStatus | null;
  /** Why there is no status (the member did not answer). */
  readonly problem: string | null;
}

/** GET /dashboard/api/cluster */
export interface ClusterReport {
  /** ms since the epoch, on the member that answered. */
  readonly now: number;
  readonly servedBy: string;
  readonly members: readonly MemberRow[];
}

/** GET /dashboard/api/latency */
export interface LatencyReport {
  readonly now: number;
  readonly servedBy: string;
  readonly leader: { readonly id: string; readonly name: string } | null;
  /** 'self' when the answering member leads, 'leader' when it asked the leader. */
  readonly via: 'self' | 'leader' | null;
  readonly view: LatencyView | null;
  /** Member names by id, to label the followers. */
  readonly names: Readonly<Record<string, string>>;
  /** Why there is no view. */
  readonly problem: string | null;
}
