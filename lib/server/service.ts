// What the client API needs from a member. lib/api depends on this interface
// only; lib/server's Member implements it.

import type { Event, WatchHandle, WatchOptions } from '../store/index.js';
import type { StoreRequest } from '../store/index.js';
import type { MemberInfo } from '../state/index.js';

export type { MemberInfo } from '../state/index.js';

export interface ReadOptions {
  readonly recursive: boolean;
  readonly sorted: boolean;
  /** Linearizable: confirm leadership (ReadIndex) and wait for apply before reading. */
  readonly quorum: boolean;
  /** Read the tree as it was just after this store index (kvd's `atIndex`); absent: now. */
  readonly atIndex?: number;
}

/** Values for etcd's response headers, sampled when a response is sent. */
export interface ResponseIndexes {
  readonly clusterId: string;
  readonly etcdIndex: number;
  readonly raftIndex: number;
  readonly raftTerm: number;
}

export interface KeysService {
  /** Commit a mutation through the log; resolves with its event once applied here. Rejects with V2Error. */
  write(req: StoreRequest): Promise<Event>;
  /** Read from the local tree. Rejects with V2Error. */
  read(path: string, opts: ReadOptions): Promise<Event>;
  /**
   * A read of the local tree as it is now (`read` without quorum or atIndex),
   * answered at once: no promise, so the response can go out in the same turn.
   * Throws V2Error.
   */
  readNow(path: string, recursive: boolean, sorted: boolean): Event;
  /**
   * Watch the local tree. Throws V2Error (401) when sinceIndex is older than
   * the history. onEnd is called when the member ends the watch itself (its
   * tree was replaced by a snapshot from the leader, so events may have been
   * skipped): the response should end, as etcd's does.
   */
  watch(path: string, opts: WatchOptions, onEvent: (e: Event) => void, onEnd?: () => void): WatchHandle;
  indexes(): ResponseIndexes;
}

export interface ClusterService {
  members(): readonly MemberInfo[];
  /** Resolves with the new member once the change is committed. */
  addMember(peerURLs: readonly string[]): Promise<MemberInfo>;
  removeMember(id: string): Promise<void>;
  updateMember(id: string, peerURLs: readonly string[]): Promise<void>;
  selfStats(): unknown;
  leaderStats(): unknown | null;
  storeStats(): unknown;
  /** The store's hash now, or at a past store index (kvd's /v2/stats/hash). Rejects with V2Error 450/451. */
  storeHash(index: number | null): Promise<{ readonly index: number; readonly hash: string }>;
  /** null when healthy, else the reason. */
  unhealthyReason(): Promise<string | null>;
}

/** The dashboard's views beyond the v2 API (JSON shapes in dashboard-types.ts). */
export interface DashboardService {
  /** The leader's latency view of its followers over the last `seconds`. */
  latencyReport(seconds: number): Promise<unknown>;
  /** Every member's status, with samples newer than `since` (seconds since the epoch). */
  clusterReport(since: number): Promise<unknown>;
}

export { MembershipError } from '../errors/index.js';
