// One kvd member: wires the raft core, the write-ahead log, the key tree and
// the peer transport; owns the timers, the ready loop, the apply loop and the
// clients waiting for their proposals.

import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import { Raft } from '../raft/index.js';
import { NO_MEMBER, type Entry, type HardState, type Index, type MemberId, type Message, type Ready, type Role, type Snapshot, type Term } from '../raft/types.js';
import { type DataDirLock, SnapshotStore, snapDir, StorageError, Wal } from '../storage/index.js';
import type { Event, Store, StoreRequest, WatchHandle, WatchOptions } from '../store/index.js';
import { History, ReplicaHashes, type HashAnswer } from '../history/index.js';
import { RefusalLog } from '../tls/index.js';
import { fetchPeerJSON, PeerTransport } from '../transport/index.js';
import { applyCommitted, bootstrap, type Bootstrapped } from './bootstrap.js';
import { EntryApplyError, etcdServerError, serverStopped } from './errors.js';
import { LinearizableReads } from './linearizable-reads.js';
import { MemberRegistry } from './members.js';
import type { MemberOptions } from './options.js';
import { encodeMembershipChange, encodeProposal, proposalProblem, type MembershipChange, type ProposalBody } from './proposal.js';
import { Proposer } from './proposer.js';
import type { ClusterService, KeysService, MemberInfo, ReadOptions, ResponseIndexes } from './service.js';
import { computeMemberId } from './ids.js';
import { DashboardSource, KEEP_SECONDS, type RaftProgress } from './dashboard-source.js';
import { LatencyHistory, type LatencyView } from './latency-history.js';
import { StateMachine, type ApplyResult } from './state-machine.js';
import { goDuration, goTime, LatencyStats, RateCounter } from './stats.js';

/** At most how many entries a leader keeps behind a snapshot for followers that are only a little behind (and never more than snapshot-count). */
const CATCH_UP_ENTRIES = 5000;
/** How often the leader checks for keys whose TTL ran out. */
const SYNC_INTERVAL_MS = 500;
/**
 * Queue limits; past them a client gets etcd's "too many requests". Requests
 * waiting for their entry: the backlog of a member far slower than its load.
 */
const MAX_PENDING_PROPOSALS = 16_384;
/** Requests made while no leader is known (they wait at most the request timeout for one). */
const MAX_UNPROPOSED = 4096;
/** Quorum reads not yet served. */
const MAX_PENDING_READS = 16_384;
/** ReadIndex rounds in flight; reads arriving meanwhile share the next one. */
const MAX_READ_ROUNDS = 64;
/** ReadIndex requests a leader holds for itself and its followers. */
const MAX_LEADER_READ_REQUESTS = 4096;

export class Member implements KeysService, ClusterService {
  readonly id: MemberId;
  readonly clusterId: string;
  readonly name: string;

  private readonly sm: StateMachine;
  private readonly raft: Raft;
  private readonly wal: Wal;
  private readonly lock: DataDirLock;
  private readonly snapshots: SnapshotStore;
  private readonly transport: PeerTransport;
  private readonly log: Logger;
  /** Watches and reads served from the log. */
  private readonly history: History;
  /** The replica hash check (the leader's rounds, every member's answers). */
  private readonly hashes: ReplicaHashes;

  private readonly proposer: Proposer<ApplyResult>;
  private readonly reads: LinearizableReads;
  /** Malformed or implausible peer messages, logged at a bounded rate. */
  private readonly droppedMessages: RefusalLog;
  private role: Role = 'follower';
  private leader: MemberId = NO_MEMBER;
  private leaderSince = 0;
  private applied: Index;
  private appliedTerm: Term;
  private lastSnapshotIndex: Index;
  private snapshotInFlight = false;
  private syncInFlight = false;
  private published = false;
  /** Why the member refuses every request from now on (the log cannot be written, or an entry cannot be applied). */
  private failure: string | null = null;
  private stopped = false;

  private syncedHardState: HardState | null = null;
  private drainScheduled = false;
  private drainIdle: Promise<void> = Promise.resolve();
  private draining = false;
  private tickTimer: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;

  /** Ends the open watches: called when a snapshot from the leader replaces the tree they watch. */
  private readonly watchEnds = new Set<() => void>();
  private readonly startTime = Date.now();
  private readonly followerStats = new Map<string, LatencyStats>();
  /** When the oldest unanswered append to each follower was sent (performance.now(), for sub-ms latency). */
  private readonly appendSentAt = new Map<string, number>();
  private readonly recvAppend = new RateCounter();
  private readonly sendAppend = new RateCounter();
  /** Follower round trips second by second, for the dashboard's latency view. */
  private readonly latency: LatencyHistory;
  readonly dashboard: DashboardSource;

  private constructor(private readonly opts: MemberOptions, b: Bootstrapped, transport: PeerTransport) {
    this.log = opts.logger;
    this.id = b.id;
    this.clusterId = b.clusterId;
    this.name = opts.name;
    this.sm = b.sm;
    this.wal = b.wal;
    this.lock = b.lock;
    this.snapshots = b.snapshots;
    this.transport = transport;
    this.applied = b.applied;
    this.appliedTerm = b.appliedTerm;
    this.lastSnapshotIndex = b.applied;
    this.latency = new LatencyHistory({ keepSeconds: KEEP_SECONDS, silentAfterMs: Math.max(1000, 5 * opts.heartbeatMs) });
    this.dashboard = new DashboardSource(this, {
      metrics: opts.metrics,
      peerClientTls: opts.peerClientTls ?? null,
      logger: opts.logger,
      startedAt: this.startTime,
    });
    const electionTick = Math.max(2, Math.round(opts.electionMs / opts.heartbeatMs));
    this.raft = new Raft({
      id: b.id,
      voters: b.voters,
      electionTick,
      heartbeatTick: 1,
      random: Math.random,
      preVote: true,
      checkQuorum: true,
      maxInflight: 256,
      maxMsgBytes: 1 << 20,
      checkProposal: proposalProblem,
      maxPendingReads: MAX_LEADER_READ_REQUESTS,
      restore: b.restore,
    });
    this.proposer = new Proposer<ApplyResult>({
      ids: b.ids,
      timeoutMs: opts.requestTimeoutMs,
      maxPending: MAX_PENDING_PROPOSALS,
      maxUnproposed: MAX_UNPROPOSED,
      submit: (p) => this.raft.propose([p]),
      logger: opts.logger,
      onTimeout: () => opts.metrics.proposalsFailed.inc(),
    });
    this.reads = new LinearizableReads({
      timeoutMs: opts.requestTimeoutMs,
      maxPending: MAX_PENDING_READS,
      maxRounds: MAX_READ_ROUNDS,
      // A round unanswered for an election timeout was lost (a dropped message, a deposed leader).
      retryTicks: electionTick,
      newContext: () => String(b.ids.next()),
      readIndex: (ctx) => this.raft.readIndex(ctx),
    });
    this.droppedMessages = new RefusalLog(opts.logger, 'dropped a message from a peer');
    this.history = new History({ dataDir: opts.dataDir, store: () => this.sm.store, logger: opts.logger, maxScans: opts.historyScans });
    this.hashes = new ReplicaHashes({
      history: this.history,
      store: () => this.sm.store,
      logger: opts.logger,
      self: { id: b.id, name: opts.name, peerURLs: opts.advertisePeerURLs },
      members: () => this.registry.list(),
      isLeader: () => this.role === 'leader',
      askPeer: (url, path) => fetchPeerJSON(url, path, { clientTls: opts.peerClientTls ?? null, clusterId: b.clusterId, timeoutMs: 10_000 }),
      intervalMs: opts.hashCheckIntervalMs ?? 0,
      onCorruption: () => opts.metrics.corruptionDetected.set(1),
    });
  }

  /** Recovers or bootstraps the member's state, then starts raft, timers and the peer listener. */
  static async start(opts: MemberOptions): Promise<Member> {
    const b = await bootstrap(opts);
    let member: Member | null = null;
    const transport = new PeerTransport({
      self: b.id,
      clusterId: b.clusterId,
      logger: opts.logger,
      snapshotDir: snapDir(opts.dataDir),
      serverTls: opts.peerServerTls ?? null,
      clientTls: opts.peerClientTls ?? null,
      verifyPeer: opts.verifyPeer,
      onMessage: (m) => member?.receive(m),
      onUnreachable: (id) => member?.unreachable(id),
      onSnapshotStatus: (id, ok) => member?.snapshotStatus(id, ok),
      isKnownMember: (id) => b.sm.registry.has(id) && !b.sm.registry.isRemoved(id),
      membersJSON: () => ({ clusterId: b.clusterId, members: b.sm.registry.list() }),
      onRtt: (id, ms) => opts.metrics.peerRoundTrip.observe({ To: id }, ms / 1000),
      dashboardJSON: (path) => member?.dashboard.answerPeer(path) ?? null,
      hashJSON: (query) => member?.hashes.answerPeer(query) ?? Promise.resolve(null),
    });
    member = new Member(opts, b, transport);
    for (const url of opts.listenPeerURLs) await transport.listen(url);
    for (const m of b.sm.registry.list()) if (m.id !== b.id) transport.addPeer(m.id as MemberId, m.peerURLs);
    member.registerMetrics();
    member.startTimers();
    member.dashboard.start();
    member.hashes.start();
    if (b.voters.length === 1 && b.voters[0] === b.id) member.raft.campaign();
    member.scheduleDrain();
    opts.logger.info(
      { id: b.id, cluster: b.clusterId, applied: b.applied, snapshotIndex: b.snapshotIndex, replayed: b.replayed, seconds: b.seconds },
      'member started',
    );
    return member;
  }

  private get store(): Store {
    return this.sm.store;
  }

  private get registry(): MemberRegistry {
    return this.sm.registry;
  }

  // ---- KeysService ------------------------------------------------------

  write(req: StoreRequest): Promise<Event> {
    return this.propose(req) as Promise<Event>;
  }

  async read(path: string, opts: ReadOptions): Promise<Event> {
    if (opts.quorum) await this.linearizableBarrier();
    if (opts.atIndex !== undefined) return this.history.readAt(path, opts.recursive, opts.sorted, opts.atIndex);
    return this.store.get(path, opts.recursive, opts.sorted, Date.now());
  }

  watch(path: string, opts: WatchOptions, onEvent: (e: Event) => void, onEnd?: () => void): WatchHandle {
    const handle = this.history.watch(path, opts, onEvent, () => onEnd?.());
    if (!onEnd) return handle;
    this.watchEnds.add(onEnd);
    return {
      cancel: () => {
        this.watchEnds.delete(onEnd);
        handle.cancel();
      },
    };
  }

  indexes(): ResponseIndexes {
    return { clusterId: this.clusterId, etcdIndex: this.store.index, raftIndex: this.raft.log.committed, raftTerm: this.raft.currentTerm() };
  }

  // ---- ClusterService ---------------------------------------------------

  members(): readonly MemberInfo[] {
    return this.registry.list();
  }

  async addMember(peerURLs: readonly string[]): Promise<MemberInfo> {
    const id = computeMemberId(peerURLs, this.opts.initialClusterToken, Math.floor(Date.now() / 1000));
    const r = await this.proposeChange({ type: 'add', id, name: '', peerURLs, origin: this.id, seq: 0 });
    return r as MemberInfo;
  }

  async removeMember(id: string): Promise<void> {
    await this.proposeChange({ type: 'remove', id, name: '', peerURLs: [], origin: this.id, seq: 0 });
  }

  async updateMember(id: string, peerURLs: readonly string[]): Promise<void> {
    await this.proposeChange({ type: 'update', id, name: '', peerURLs, origin: this.id, seq: 0 });
  }

  selfStats(): unknown {
    const now = Date.now();
    const recv = this.recvAppend.rates(now);
    const send = this.sendAppend.rates(now);
    return {
      name: this.name,
      id: this.id,
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

  leaderStats(): unknown | null {
    if (this.role !== 'leader') return null;
    const followers: Record<string, unknown> = {};
    for (const id of this.registry.ids()) {
      if (id === this.id) continue;
      followers[id] = (this.followerStats.get(id) ?? new LatencyStats()).toJSON();
    }
    return { leader: this.id, followers };
  }

  storeStats(): Record<string, number> {
    return this.store.stats();
  }

  storeHash(index: number | null): Promise<HashAnswer> {
    return this.hashes.hashAt(index);
  }

  /** The test-only corruption hook (KVD_TEST_CORRUPT): a key's value changed here only, bypassing the log. */
  corruptForTest(path: string, value: string): boolean {
    return this.store.corruptForTest(path, value);
  }

  /** Where this member stands in raft, for the dashboard. */
  progress(): RaftProgress {
    const role = this.role === 'leader' || this.role === 'follower' ? this.role : 'candidate';
    return { role, leader: this.leader, term: this.raft.currentTerm(), commit: this.raft.log.committed, applied: this.applied, unhealthy: this.healthProblem() };
  }

  /** The followers' latency over the last `seconds`, when this member leads. */
  latencyView(now: number, seconds: number): LatencyView | null {
    if (this.role !== 'leader') return null;
    const followers = this.registry.ids().filter((id) => id !== this.id);
    this.latency.retain(followers);
    return this.latency.view(now, seconds, followers);
  }

  async unhealthyReason(): Promise<string | null> {
    return this.healthProblem();
  }

  private healthProblem(): string | null {
    if (this.failure) return this.failure;
    if (this.hashes.problem) return this.hashes.problem;
    if (this.stopped) return 'member is stopping';
    if (this.leader === NO_MEMBER) return 'no leader';
    return null;
  }

  /** Peer certificate rotation: new handshakes and new outgoing sessions use the new material. */
  setPeerTls(serverTls: SecureContextOptions, clientTls: ConnectionOptions): void {
    this.transport.setTls(serverTls, clientTls);
  }

  /**
   * Graceful stop: a leader hands leadership to the most caught-up follower
   * first (bounded wait), then timers, transport and log are closed.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.role === 'leader' && this.registry.ids().length > 1) await this.transferLeadershipAway();
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.dashboard.stop();
    this.hashes.stop();
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.proposer.rejectAll(serverStopped());
    this.reads.rejectAll(serverStopped());
    this.droppedMessages.close();
    await this.history.close();
    await this.transport.close();
    await this.betweenDrains();
    this.wal.close();
    this.lock.release();
  }

  // ---- proposing ------------------------------------------------------------

  /** Why a request cannot be taken at all now, as etcd's error; null when it can. */
  private refusal(): Error | null {
    if (this.failure) return etcdServerError(`etcdserver: ${this.failure}`);
    if (this.stopped) return serverStopped();
    return null;
  }

  private propose(body: ProposalBody): Promise<ApplyResult> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    const done = this.proposer.propose((seq) => ({ type: 'normal', data: encodeProposal({ origin: this.id, seq, time: Date.now(), body }) }));
    this.scheduleDrain();
    return done;
  }

  private proposeChange(change: MembershipChange): Promise<ApplyResult> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    const done = this.proposer.propose((seq) => ({ type: 'confChange', data: encodeMembershipChange({ ...change, origin: this.id, seq }) }));
    this.scheduleDrain();
    return done;
  }

  /** Resolves once this member has applied everything committed before the call (ReadIndex). */
  private linearizableBarrier(): Promise<void> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    const done = this.reads.wait();
    this.scheduleDrain();
    return done;
  }

  /** With a leader known: proposals and reads that waited for one go to it. */
  private sendWaiting(): void {
    if (this.leader === NO_MEMBER) return;
    this.proposer.retry();
    this.reads.send();
  }

  // ---- the ready loop ---------------------------------------------------------

  private scheduleDrain(): void {
    if (this.drainScheduled || this.stopped) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining || this.stopped || this.failure) return;
    this.draining = true;
    let idle: () => void = () => {};
    this.drainIdle = new Promise<void>((resolve) => (idle = resolve));
    try {
      this.sendWaiting();
      for (let rounds = 0; rounds < 10_000 && this.raft.hasReady() && !this.stopped; rounds++) {
        const rd = this.raft.ready();
        await this.handleReady(rd);
        if (this.failure) return;
        this.raft.advance(rd);
      }
      if (this.raft.hasReady()) this.scheduleDrain();
    } catch (err) {
      // The disk refused a write: refuse requests, stay up to say so. Anything else is a broken invariant.
      if (err instanceof StorageError) this.fail(err);
      else this.halt(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.draining = false;
      idle();
    }
  }

  /** Resolves when no ready batch is being handled (the WAL is not being written or flushed). */
  private async betweenDrains(): Promise<void> {
    while (this.draining) await this.drainIdle;
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.onSoftState(rd.softState.role, rd.softState.leader);
    const pipelined = this.role === 'leader';
    if (pipelined) this.send(rd.messages);
    if (rd.snapshot) await this.installSnapshot(rd.snapshot);
    if (rd.entries.length > 0 || rd.hardState) {
      const sync = this.mustSync(rd);
      this.wal.append(rd.entries, rd.hardState, false);
      // On the thread pool: a leader's appends reach its peers while its own fsync runs.
      if (sync) await this.wal.flush();
    }
    if (!pipelined) this.send(rd.messages);
    for (const e of rd.committed) this.applyEntry(e);
    for (const rs of rd.readStates) this.reads.confirmed(rs.ctx, rs.index);
    this.reads.applied(this.applied);
    this.maybeSnapshot();
  }

  /** Entries, a new term or a vote must be on disk before anyone hears of them; a commit index need not. */
  private mustSync(rd: Ready): boolean {
    const hs = rd.hardState;
    const synced = this.syncedHardState;
    if (hs) this.syncedHardState = hs;
    return rd.entries.length > 0 || hs === null || synced === null || hs.term !== synced.term || hs.vote !== synced.vote;
  }

  private send(msgs: readonly Message[]): void {
    if (msgs.length === 0) return;
    const now = Date.now();
    for (const m of msgs) {
      if (m.type === 'append') this.sendAppend.add(now, entryBytes(m.entries));
      // Heartbeats count too: an idle cluster still shows how fast each follower answers.
      if ((m.type === 'append' || m.type === 'heartbeat') && !this.appendSentAt.has(m.to)) this.appendSentAt.set(m.to, performance.now());
    }
    this.transport.send(msgs);
  }

  private receive(m: Message): void {
    if (this.stopped) return;
    if (m.type === 'append') this.recvAppend.add(Date.now(), entryBytes(m.entries));
    if (m.type === 'appendResp' || m.type === 'heartbeatResp') this.recordFollower(m.from, m.type === 'appendResp' && m.reject);
    const dropped = this.raft.step(m);
    if (dropped !== null) this.droppedMessages.refused({ from: m.from, type: m.type, term: m.term, reason: dropped });
    this.scheduleDrain();
  }

  private recordFollower(from: MemberId, rejected: boolean): void {
    let st = this.followerStats.get(from);
    if (!st) this.followerStats.set(from, (st = new LatencyStats()));
    const sentAt = this.appendSentAt.get(from);
    if (sentAt !== undefined) {
      const ms = performance.now() - sentAt;
      st.record(ms);
      this.latency.record(from, ms, Date.now());
      this.appendSentAt.delete(from);
    }
    if (rejected) {
      st.fail++;
      this.latency.failure(from, Date.now());
    } else st.success++;
  }

  private unreachable(id: MemberId): void {
    if (this.stopped) return;
    const st = this.followerStats.get(id);
    if (st && this.role === 'leader') st.fail++;
    if (this.role === 'leader') this.latency.failure(id, Date.now());
    this.appendSentAt.delete(id);
    this.raft.reportUnreachable(id);
    this.scheduleDrain();
  }

  private snapshotStatus(id: MemberId, ok: boolean): void {
    if (this.stopped) return;
    this.raft.reportSnapshot(id, ok);
    this.scheduleDrain();
  }

  private onSoftState(role: Role, leader: MemberId): void {
    const m = this.opts.metrics;
    if (leader !== this.leader) {
      if (leader !== NO_MEMBER) m.leaderChanges.inc();
      m.hasLeader.set(leader === NO_MEMBER ? 0 : 1);
      this.log.info({ leader: leader || null, term: this.raft.currentTerm(), role }, leader ? 'leader elected' : 'leader lost');
      this.leader = leader;
      this.leaderSince = Date.now();
      // A read point asked of the previous leader may never come.
      this.reads.leaderChanged();
    }
    this.role = role;
    m.isLeader.set(role === 'leader' ? 1 : 0);
    if (this.leader !== NO_MEMBER) {
      this.sendWaiting();
      if (!this.published) this.publish();
    }
  }

  /** Announce this member's name and client URLs through the log, as etcd does. */
  private publish(): void {
    this.published = true;
    this.propose({ op: 'publish', id: this.id, name: this.name, clientURLs: this.opts.advertiseClientURLs }).catch((err: Error) => {
      this.published = false;
      this.log.debug({ err: err.message }, 'publish failed; retrying on the next leader change or tick');
    });
  }

  // ---- applying -------------------------------------------------------------

  private applyEntry(e: Entry): void {
    if (e.index <= this.applied) return;
    const a = applyCommitted(this.sm, e, this.opts.dataDir);
    this.applied = e.index;
    this.appliedTerm = e.term;
    if (a.internalError) this.log.error({ err: a.internalError, index: e.index }, 'store rejected an entry unexpectedly');
    if (a.sync) this.syncInFlight = false;
    if (a.change) this.onMembershipChange(a.change);
    if (a.origin === this.id && a.seq > 0) this.proposer.settle(a.seq, a.result);
  }

  private onMembershipChange(c: MembershipChange): void {
    const id = c.id as MemberId;
    // Idempotent in raft: the bootstrap entries re-add members it already counts.
    if (c.type === 'add' || c.type === 'remove') this.raft.applyConfChange({ type: c.type, id });
    if (id !== this.id) {
      if (c.type === 'add') this.transport.addPeer(id, c.peerURLs);
      if (c.type === 'update') this.transport.updatePeer(id, c.peerURLs);
      if (c.type === 'remove') this.transport.removePeer(id);
    } else if (c.type === 'remove') {
      // Stay a while: members that have not yet seen the removal committed may still need this vote.
      this.log.warn('this member was removed from the cluster; stopping after two election timeouts');
      setTimeout(() => this.opts.onRemoved?.(), 2 * this.opts.electionMs).unref();
    }
    this.log.info({ change: c.type, id: c.id, peerURLs: c.peerURLs }, 'membership changed');
  }

  // ---- snapshots --------------------------------------------------------------

  private maybeSnapshot(): void {
    if (this.snapshotInFlight || this.applied - this.lastSnapshotIndex < this.opts.snapshotCount) return;
    this.snapshotInFlight = true;
    void this.takeSnapshot().finally(() => {
      this.snapshotInFlight = false;
    });
  }

  /**
   * The state is taken synchronously at the call; encoding it yields to the
   * event loop between pieces, so heartbeats and requests go on meanwhile.
   */
  private async takeSnapshot(): Promise<void> {
    const started = performance.now();
    const meta = { index: this.applied, term: this.appliedTerm, conf: { voters: this.raft.status().voters } };
    const encoding = this.sm.snapshotDataInPieces(() => new Promise((resolve) => setImmediate(resolve)));
    const pauseMs = Math.round(performance.now() - started);
    const endTimer = this.opts.metrics.snapshotSave.startTimer();
    try {
      const snapshot: Snapshot = { meta, data: await encoding };
      const file = await this.snapshots.save(snapshot);
      endTimer();
      await this.betweenDrains();
      // A newer snapshot from the leader may have been installed meanwhile: keep the log as that left it.
      if (this.stopped || this.failure || meta.index <= this.lastSnapshotIndex) return;
      this.wal.markSnapshot(meta);
      this.lastSnapshotIndex = meta.index;
      this.raft.compact(snapshot, Math.min(CATCH_UP_ENTRIES, this.opts.snapshotCount));
      const oldest = this.snapshots.oldestIndex();
      if (oldest !== null) this.wal.releaseTo(oldest);
      this.log.info({ file, index: meta.index, bytes: snapshot.data.length, pauseMs, ms: Math.round(performance.now() - started) }, 'snapshot saved');
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'snapshot failed; will retry');
    }
  }

  private async installSnapshot(s: Snapshot): Promise<void> {
    const file = await this.snapshots.save(s);
    this.wal.markSnapshot(s.meta);
    this.sm.restore(s.data);
    const ends = [...this.watchEnds];
    this.watchEnds.clear();
    for (const end of ends) end();
    for (const m of this.registry.list()) if (m.id !== this.id) this.transport.addPeer(m.id as MemberId, m.peerURLs);
    this.applied = s.meta.index;
    this.appliedTerm = s.meta.term;
    this.lastSnapshotIndex = s.meta.index;
    this.log.info({ file, index: s.meta.index, term: s.meta.term }, 'installed snapshot from leader');
  }

  // ---- timers -------------------------------------------------------------------

  private startTimers(): void {
    this.tickTimer = setInterval(() => {
      this.raft.tick();
      this.reads.tick();
      this.scheduleDrain();
      if (!this.published && this.leader !== NO_MEMBER) this.publish();
    }, this.opts.heartbeatMs);
    this.syncTimer = setInterval(() => this.proposeExpiry(), SYNC_INTERVAL_MS);
  }

  /** Keys expire only through a sync entry, proposed by the leader when one is due. */
  private proposeExpiry(): void {
    if (this.role !== 'leader' || this.syncInFlight || this.failure) return;
    const due = this.store.nextExpiry();
    if (due === null || due > Date.now()) return;
    this.syncInFlight = true;
    this.propose({ op: 'sync' }).catch(() => {
      this.syncInFlight = false;
    });
  }

  private async transferLeadershipAway(): Promise<void> {
    const st = this.raft.status();
    let best: { id: MemberId; match: number } | null = null;
    for (const [key, p] of Object.entries(st.progress)) {
      const id = key as MemberId;
      if (id !== this.id && (!best || p.match > best.match)) best = { id, match: p.match };
    }
    if (!best) return;
    this.log.info({ to: best.id }, 'transferring leadership before stopping');
    this.raft.transferLeadership(best.id);
    this.scheduleDrain();
    const deadline = Date.now() + this.opts.electionMs * 2;
    while (this.role === 'leader' && Date.now() < deadline) await new Promise((r) => setTimeout(r, this.opts.heartbeatMs / 2));
  }

  private registerMetrics(): void {
    const m = this.opts.metrics;
    m.hasLeader.set(0);
    m.onCollect(() => {
      const st = this.raft.status();
      m.proposalsCommitted.set(st.commit);
      m.proposalsApplied.set(this.applied);
      m.proposalsPending.set(this.proposer.pending);
      m.quorumReadsPending.set(this.reads.pending);
      m.watchers.set(this.store.stats().watchers ?? 0);
      m.keys.set(this.store.nodeCount);
      m.storeIndex.set(this.store.index);
      m.historyOldestIndex.set(this.history.oldestWatchIndex());
      for (const [id, p] of Object.entries(this.transport.stats().peers)) {
        m.peerSentBytes.set({ To: id }, p.sentBytes);
        m.peerReceivedBytes.set({ From: id }, p.recvBytes);
      }
    });
  }

  private fail(err: Error): void {
    this.failure = `write-ahead log failed: ${err.message}`;
    this.log.error({ err: err.message }, 'write-ahead log failed: refusing writes from now on');
    this.proposer.rejectAll(etcdServerError(`etcdserver: ${this.failure}`));
    this.reads.rejectAll(etcdServerError(`etcdserver: ${this.failure}`));
  }

  /**
   * Fail-stop: a committed entry cannot be applied (a bug or a corrupt log;
   * every later entry depends on it) or the ready loop broke an invariant.
   * The member stops, and tells its owner to exit.
   */
  private halt(err: Error): void {
    this.failure = err instanceof EntryApplyError ? err.message : `internal error: ${err.message}`;
    if (err instanceof EntryApplyError) this.log.fatal({ index: err.index, term: err.term, type: err.type, data: err.dataHex }, err.message);
    else this.log.fatal({ err: err.message, stack: err.stack }, `${this.failure}; stopping`);
    void this.shutdown().finally(() => this.opts.onFatal?.(err));
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
