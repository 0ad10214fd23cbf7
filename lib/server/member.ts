// One kvd member, as the client API sees it: the KeysService and
// ClusterService facade over the parts start.ts assembles (the raft node,
// the proposer, linearizable reads, the applier, stats and housekeeping).
// It decides what a request may do now; the parts do the work.

import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { HashAnswer } from '../history/index.js';
import { AuthError, type AuthChange, type AuthOperation, type AuthService, type AuthView } from '../auth/index.js';
import { NO_MEMBER, type MemberId, type Role } from '../raft/index.js';
import type { Event, Store, StoreRequest, WatchHandle, WatchOptions } from '../store/index.js';
import { DashboardSource, type RaftProgress } from './dashboard-source.js';
import { etcdServerRefusal, serverStopped } from './errors.js';
import { computeMemberId } from './ids.js';
import type { LatencyView } from './latency-history.js';
import type { PeerEvents } from './ports.js';
import { encodeMembershipChange, encodeProposal, type MembershipChange, type ProposalBody } from '../proposal/index.js';
import type { NodeFailure } from './raft-node.js';
import type { ClusterService, KeysService, MemberInfo, ReadOptions, ResponseIndexes } from './service.js';
import type { ApplyResult } from '../state/index.js';
import type { MemberParts } from './member-parts.js';

export class Member implements KeysService, ClusterService, AuthService {
  readonly id: MemberId;
  readonly clusterId: string;
  readonly name: string;
  readonly dashboard: DashboardSource;

  private readonly log: Logger;
  private leader: MemberId = NO_MEMBER;
  /** Why the member refuses every request from now on (the log cannot be written, or an invariant broke). */
  private failure: string | null = null;
  private stopped = false;

  constructor(private readonly p: MemberParts) {
    this.id = p.id;
    this.clusterId = p.clusterId;
    this.name = p.opts.name;
    this.log = p.opts.logger;
    this.dashboard = new DashboardSource(this, {
      metrics: p.opts.metrics,
      peerClientTls: p.opts.peerClientTls ?? null,
      logger: p.opts.logger,
      startedAt: p.stats.startTime,
      runtime: p.runtime,
    });
  }

  /** Where the network delivers what peers send. */
  get peerEvents(): PeerEvents {
    return this.p.node;
  }

  private get store(): Store {
    return this.p.sm.store;
  }

  write(req: StoreRequest): Promise<Event> {
    return this.propose(req) as Promise<Event>;
  }

  async read(path: string, opts: ReadOptions): Promise<Event> {
    if (opts.quorum) await this.linearizableBarrier();
    if (opts.atIndex !== undefined) return this.p.history.readAt(path, opts.recursive, opts.sorted, opts.atIndex);
    return this.readNow(path, opts.recursive, opts.sorted);
  }

  readNow(path: string, recursive: boolean, sorted: boolean): Event {
    return this.store.get(path, recursive, sorted, this.p.runtime.clock.now());
  }

  watch(path: string, opts: WatchOptions, onEvent: (e: Event) => void, onEnd?: () => void): WatchHandle {
    const handle = this.p.history.watch(path, opts, onEvent, () => onEnd?.());
    return onEnd ? this.p.applier.endOnRestore(handle, onEnd) : handle;
  }

  indexes(): ResponseIndexes {
    const raft = this.p.node.raft;
    return {
      clusterId: this.clusterId,
      etcdIndex: this.store.index,
      raftIndex: raft.log.committed,
      raftTerm: raft.currentTerm(),
    };
  }

  /** The applied users, roles and enabled flag (the same object across snapshot installs). */
  get authView(): AuthView {
    return this.p.sm.auth;
  }

  async changeAuth(op: AuthOperation): Promise<AuthChange> {
    const r = await this.propose(op);
    if (r instanceof AuthError) throw r;
    return r as AuthChange;
  }

  members(): readonly MemberInfo[] {
    return this.p.sm.registry.list();
  }

  async addMember(peerURLs: readonly string[]): Promise<MemberInfo> {
    const now = Math.floor(this.p.runtime.clock.now() / 1000);
    const id = computeMemberId(peerURLs, this.p.opts.initialClusterToken, now);
    return (await this.proposeChange({ type: 'add', id, name: '', peerURLs, origin: this.id, seq: 0 })) as MemberInfo;
  }

  async removeMember(id: string): Promise<void> {
    await this.proposeChange({ type: 'remove', id, name: '', peerURLs: [], origin: this.id, seq: 0 });
  }

  async updateMember(id: string, peerURLs: readonly string[]): Promise<void> {
    await this.proposeChange({ type: 'update', id, name: '', peerURLs, origin: this.id, seq: 0 });
  }

  selfStats(): unknown {
    return this.p.stats.selfStats();
  }

  leaderStats(): unknown | null {
    return this.p.stats.leaderStats(this.p.sm.registry.ids());
  }

  storeStats(): Record<string, number> {
    return this.store.stats();
  }

  storeHash(index: number | null): Promise<HashAnswer> {
    return this.p.hashes.hashAt(index);
  }

  /** The peer port's GET /hash (the leader's replica hash check). */
  answerHashPeer(query: string): Promise<unknown> {
    return this.p.hashes.answerPeer(query);
  }

  /** The test-only corruption hook (KVD_TEST_CORRUPT): a key's value changed here only, bypassing the log. */
  corruptForTest(path: string, value: string): boolean {
    return this.store.corruptForTest(path, value);
  }

  /** Where this member stands in raft, for the dashboard. */
  progress(): RaftProgress {
    const raft = this.p.node.raft;
    const role = raft.status().role;
    const shown = role === 'leader' || role === 'follower' ? role : 'candidate';
    return {
      role: shown,
      leader: this.leader,
      term: raft.currentTerm(),
      commit: raft.log.committed,
      applied: this.p.applier.applied,
      unhealthy: this.healthProblem(),
    };
  }

  /** The followers' latency over the last `seconds`, when this member leads. */
  latencyView(now: number, seconds: number): LatencyView | null {
    return this.p.stats.latencyView(now, seconds, this.p.sm.registry.ids());
  }

  async unhealthyReason(): Promise<string | null> {
    return this.healthProblem();
  }

  private healthProblem(): string | null {
    if (this.failure) return this.failure;
    if (this.p.hashes.problem) return this.p.hashes.problem;
    if (this.stopped) return 'member is stopping';
    if (this.leader === NO_MEMBER) return 'no leader';
    return null;
  }

  /** Peer certificate rotation: new handshakes and new outgoing sessions use the new material. */
  setPeerTls(serverTls: SecureContextOptions, clientTls: ConnectionOptions): void {
    this.p.transport.setTls(serverTls, clientTls);
  }

  /** Starts the timers and the ready loop; a one-member cluster elects itself at once. */
  start(): void {
    this.p.node.start();
    this.p.housekeeping.start();
    this.dashboard.start();
    this.p.hashes.start();
    const voters = this.p.node.raft.status().voters;
    if (voters.length === 1 && voters[0] === this.id) this.p.node.raft.campaign();
  }

  /**
   * Graceful stop: a leader hands leadership to the most caught-up follower
   * first (bounded wait), then timers, transport and log are closed.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.p.node.isLeader && this.p.sm.registry.ids().length > 1)
      await this.p.node.transferLeadershipAway(this.p.opts.electionMs * 2);
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.dashboard.stop();
    this.p.hashes.stop();
    this.p.housekeeping.stop();
    await this.p.history.close();
    this.p.proposer.rejectAll(serverStopped());
    this.p.reads.rejectAll(serverStopped());
    await this.p.transport.close();
    await this.p.node.stop();
    this.p.lock.release();
  }

  /** The raft node saw a new role or leader. */
  roleChanged(role: Role, leader: MemberId): void {
    const m = this.p.opts.metrics;
    this.p.stats.roleChanged(role, leader);
    if (leader !== this.leader) {
      if (leader !== NO_MEMBER) m.leaderChanges.inc();
      m.hasLeader.set(leader === NO_MEMBER ? 0 : 1);
      this.log.info(
        { leader: leader || null, term: this.p.node.raft.currentTerm(), role },
        leader ? 'leader elected' : 'leader lost',
      );
      this.leader = leader;
      // A read point asked of the previous leader may never come.
      this.p.reads.leaderChanged();
    }
    m.isLeader.set(role === 'leader' ? 1 : 0);
    this.sendWaiting();
    this.p.housekeeping.leaderKnown();
  }

  /** Proposals made since the last call go to raft; with a leader known, proposals and reads that waited for one go to it first. */
  sendWaiting(): void {
    if (this.leader !== NO_MEMBER) {
      this.p.proposer.retry();
      this.p.reads.send();
    }
    this.p.proposer.flush();
  }

  /** The raft node failed: refuse everything from now on; a broken invariant also stops the member. */
  failed(f: NodeFailure): void {
    this.failure = f.reason;
    const refusal = etcdServerRefusal(f.reason);
    this.p.proposer.rejectAll(refusal);
    this.p.reads.rejectAll(refusal);
    if (f.kind === 'fatal') void this.shutdown().finally(() => this.p.opts.onFatal?.(f.error));
  }

  /** A committed change removed this member. */
  removedFromCluster(): void {
    // Stay a while: members that have not yet seen the removal committed may still need this vote.
    this.log.warn('this member was removed from the cluster; stopping after two election timeouts');
    this.p.runtime.scheduler.after(2 * this.p.opts.electionMs, () => this.p.opts.onRemoved?.());
  }

  /** Why a request cannot be taken at all now, as etcd's error; null when it can. */
  private refusal(): Error | null {
    if (this.failure) return etcdServerRefusal(this.failure);
    if (this.stopped) return serverStopped();
    return null;
  }

  /** Proposes a request under a fresh id, stamped with this member's clock. */
  propose(body: ProposalBody): Promise<ApplyResult> {
    const time = this.p.runtime.clock.now();
    return this.submit((seq) => ({ type: 'normal', data: encodeProposal({ origin: this.id, seq, time, body }) }));
  }

  private proposeChange(change: MembershipChange): Promise<ApplyResult> {
    return this.submit((seq) => ({
      type: 'confChange',
      data: encodeMembershipChange({ ...change, origin: this.id, seq }),
    }));
  }

  private submit(entry: (seq: number) => { type: 'normal' | 'confChange'; data: Buffer }): Promise<ApplyResult> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    const done = this.p.proposer.propose(entry);
    this.p.node.scheduleDrain();
    return done;
  }

  /** Resolves once this member has applied everything committed before the call (ReadIndex). */
  private linearizableBarrier(): Promise<void> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    const done = this.p.reads.wait();
    this.p.node.scheduleDrain();
    return done;
  }
}
