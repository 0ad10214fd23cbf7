// One kvd member: wires the raft core, the write-ahead log, the key tree and
// the peer transport; owns the timers, the ready loop, the apply loop and the
// clients waiting for their proposals.

import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import { Raft } from '../raft/index.js';
import { NO_MEMBER, type Entry, type HardState, type Index, type MemberId, type Message, type Ready, type Role, type Snapshot, type Term } from '../raft/types.js';
import { type DataDirLock, SnapshotStore, snapDir, Wal } from '../storage/index.js';
import { ErrorCode, V2Error, type Event, type Store, type StoreRequest, type WatchHandle, type WatchOptions } from '../store/index.js';
import { PeerTransport } from '../transport/index.js';
import { bootstrap, type Bootstrapped } from './bootstrap.js';
import { MemberRegistry } from './members.js';
import type { MemberOptions } from './options.js';
import { encodeMembershipChange, encodeProposal, type MembershipChange, type ProposalBody } from './proposal.js';
import type { ClusterService, KeysService, MemberInfo, ReadOptions, ResponseIndexes } from './service.js';
import { computeMemberId } from './ids.js';
import { StateMachine, type ApplyResult } from './state-machine.js';
import { goDuration, goTime, LatencyStats, RateCounter } from './stats.js';
import { ProposalWaiters } from './waiters.js';

/** At most how many entries a leader keeps behind a snapshot for followers that are only a little behind (and never more than snapshot-count). */
const CATCH_UP_ENTRIES = 5000;
/** How often the leader checks for keys whose TTL ran out. */
const SYNC_INTERVAL_MS = 500;

const requestTimedOut = (index: number) => new V2Error(ErrorCode.RaftInternal, 'etcdserver: request timed out', index);

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

  private readonly waiters: ProposalWaiters<ApplyResult>;
  private seq = 0;
  private role: Role = 'follower';
  private leader: MemberId = NO_MEMBER;
  private leaderSince = 0;
  private applied: Index;
  private appliedTerm: Term;
  private lastSnapshotIndex: Index;
  private snapshotInFlight = false;
  private syncInFlight = false;
  private published = false;
  /** Set when the log can no longer be written: the member refuses writes from then on. */
  private failure: string | null = null;
  private stopped = false;

  private syncedHardState: HardState | null = null;
  private drainScheduled = false;
  private drainIdle: Promise<void> = Promise.resolve();
  private draining = false;
  private tickTimer: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;

  /** Quorum reads not yet sent as a ReadIndex request; they share one round. */
  private queuedReads: (() => void)[] = [];
  private readonly readRounds = new Map<string, (() => void)[]>();
  private readSeq = 0;
  /** Reads waiting for the apply loop to reach an index. */
  private appliedWaiters: { index: number; resume: () => void }[] = [];
  /** Proposals refused while no leader was known; proposed again when one appears. */
  private unproposed: { type: 'normal' | 'confChange'; data: Buffer }[] = [];

  /** Ends the open watches: called when a snapshot from the leader replaces the tree they watch. */
  private readonly watchEnds = new Set<() => void>();
  private readonly startTime = Date.now();
  private readonly followerStats = new Map<string, LatencyStats>();
  /** When the oldest unanswered append to each follower was sent (performance.now(), for sub-ms latency). */
  private readonly appendSentAt = new Map<string, number>();
  private readonly recvAppend = new RateCounter();
  private readonly sendAppend = new RateCounter();

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
    this.waiters = new ProposalWaiters<ApplyResult>(opts.requestTimeoutMs, () => {
      opts.metrics.proposalsFailed.inc();
      return requestTimedOut(this.store.index);
    });
    const heartbeatTick = 1;
    this.raft = new Raft({
      id: b.id,
      voters: b.voters,
      electionTick: Math.max(2, Math.round(opts.electionMs / opts.heartbeatMs)),
      heartbeatTick,
      random: Math.random,
      preVote: true,
      checkQuorum: true,
      maxInflight: 256,
      maxMsgBytes: 1 << 20,
      restore: b.restore,
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
    });
    member = new Member(opts, b, transport);
    for (const url of opts.listenPeerURLs) await transport.listen(url);
    for (const m of b.sm.registry.list()) if (m.id !== b.id) transport.addPeer(m.id as MemberId, m.peerURLs);
    member.registerMetrics();
    member.startTimers();
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
    return this.store.get(path, opts.recursive, opts.sorted, Date.now());
  }

  watch(path: string, opts: WatchOptions, onEvent: (e: Event) => void, onEnd?: () => void): WatchHandle {
    const handle = this.store.watch(path, opts, onEvent);
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

  storeStats(): unknown {
    return this.store.stats();
  }

  async unhealthyReason(): Promise<string | null> {
    if (this.failure) return `write-ahead log failed: ${this.failure}`;
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
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.waiters.rejectAll(new V2Error(ErrorCode.RaftInternal, 'etcdserver: server stopped', this.store.index));
    for (const w of this.appliedWaiters) w.resume();
    this.appliedWaiters = [];
    await this.transport.close();
    await this.betweenDrains();
    this.wal.close();
    this.lock.release();
  }

  // ---- proposing ------------------------------------------------------------

  private propose(body: ProposalBody): Promise<ApplyResult> {
    if (this.failure) return Promise.reject(new V2Error(ErrorCode.RaftInternal, `etcdserver: ${this.failure}`, this.store.index));
    if (this.stopped) return Promise.reject(new V2Error(ErrorCode.RaftInternal, 'etcdserver: server stopped', this.store.index));
    const seq = ++this.seq;
    const data = encodeProposal({ origin: this.id, seq, time: Date.now(), body });
    const done = this.waiters.wait(seq);
    this.submit({ type: 'normal', data });
    return done;
  }

  private proposeChange(change: MembershipChange): Promise<ApplyResult> {
    if (this.failure) return Promise.reject(new V2Error(ErrorCode.RaftInternal, `etcdserver: ${this.failure}`, this.store.index));
    const seq = ++this.seq;
    const data = encodeMembershipChange({ ...change, origin: this.id, seq });
    const done = this.waiters.wait(seq);
    this.submit({ type: 'confChange', data });
    return done;
  }

  private submit(item: { type: 'normal' | 'confChange'; data: Buffer }): void {
    if (!this.raft.propose([item])) this.unproposed.push(item);
    this.scheduleDrain();
  }

  private retryUnproposed(): void {
    if (this.unproposed.length === 0 || this.leader === NO_MEMBER) return;
    const items = this.unproposed;
    this.unproposed = [];
    for (const item of items) if (!this.raft.propose([item])) this.unproposed.push(item);
  }

  /** Resolves once this member has applied everything committed before the call (ReadIndex). */
  private linearizableBarrier(): Promise<void> {
    if (this.failure) return Promise.reject(new V2Error(ErrorCode.RaftInternal, `etcdserver: ${this.failure}`, this.store.index));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(requestTimedOut(this.store.index)), this.opts.requestTimeoutMs);
      timer.unref();
      this.queuedReads.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.scheduleDrain();
    });
  }

  private sendQueuedReads(): void {
    if (this.queuedReads.length === 0 || this.leader === NO_MEMBER) return;
    const ctx = `${this.id}-${++this.readSeq}`;
    if (!this.raft.readIndex(ctx)) return;
    this.readRounds.set(ctx, this.queuedReads);
    this.queuedReads = [];
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
      this.retryUnproposed();
      this.sendQueuedReads();
      for (let rounds = 0; rounds < 10_000 && this.raft.hasReady() && !this.stopped; rounds++) {
        const rd = this.raft.ready();
        await this.handleReady(rd);
        if (this.failure) return;
        this.raft.advance(rd);
      }
      if (this.raft.hasReady()) this.scheduleDrain();
    } catch (err) {
      this.fail(err as Error);
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
    for (const rs of rd.readStates) this.whenApplied(rs.index, () => this.finishReadRound(rs.ctx));
    this.resumeAppliedWaiters();
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
      if (m.type === 'append') {
        this.sendAppend.add(now, entryBytes(m.entries));
        if (!this.appendSentAt.has(m.to)) this.appendSentAt.set(m.to, performance.now());
      }
    }
    this.transport.send(msgs);
  }

  private receive(m: Message): void {
    if (this.stopped) return;
    if (m.type === 'append') this.recvAppend.add(Date.now(), entryBytes(m.entries));
    if (m.type === 'appendResp' || m.type === 'heartbeatResp') this.recordFollower(m.from, m.type === 'appendResp' && m.reject);
    this.raft.step(m);
    this.scheduleDrain();
  }

  private recordFollower(from: MemberId, rejected: boolean): void {
    let st = this.followerStats.get(from);
    if (!st) this.followerStats.set(from, (st = new LatencyStats()));
    const sentAt = this.appendSentAt.get(from);
    if (sentAt !== undefined) {
      st.record(performance.now() - sentAt);
      this.appendSentAt.delete(from);
    }
    if (rejected) st.fail++;
    else st.success++;
  }

  private unreachable(id: MemberId): void {
    if (this.stopped) return;
    const st = this.followerStats.get(id);
    if (st && this.role === 'leader') st.fail++;
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
    }
    this.role = role;
    m.isLeader.set(role === 'leader' ? 1 : 0);
    if (this.leader !== NO_MEMBER) {
      this.retryUnproposed();
      this.sendQueuedReads();
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
    const a = this.sm.apply(e);
    this.applied = e.index;
    this.appliedTerm = e.term;
    if (a.internalError) this.log.error({ err: a.internalError, index: e.index }, 'store rejected an entry unexpectedly');
    if (a.sync) this.syncInFlight = false;
    if (a.change) this.onMembershipChange(a.change);
    if (a.origin === this.id && a.seq > 0) {
      if (a.result instanceof Error) this.waiters.reject(a.seq, a.result);
      else this.waiters.resolve(a.seq, a.result);
    }
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

  private whenApplied(index: number, resume: () => void): void {
    if (this.applied >= index) resume();
    else this.appliedWaiters.push({ index, resume });
  }

  private resumeAppliedWaiters(): void {
    if (this.appliedWaiters.length === 0) return;
    const ready = this.appliedWaiters.filter((w) => w.index <= this.applied);
    this.appliedWaiters = this.appliedWaiters.filter((w) => w.index > this.applied);
    for (const w of ready) w.resume();
  }

  private finishReadRound(ctx: string): void {
    const waiting = this.readRounds.get(ctx);
    if (!waiting) return;
    this.readRounds.delete(ctx);
    for (const resume of waiting) resume();
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
      m.proposalsPending.set(this.waiters.size);
      m.watchers.set(this.store.stats().watchers ?? 0);
      m.keys.set(this.store.nodeCount);
      m.storeIndex.set(this.store.index);
      for (const [id, p] of Object.entries(this.transport.stats().peers)) {
        m.peerSentBytes.set({ To: id }, p.sentBytes);
        m.peerReceivedBytes.set({ From: id }, p.recvBytes);
      }
    });
  }

  private fail(err: Error): void {
    this.failure = err.message;
    this.log.error({ err: err.message }, 'write-ahead log failed: refusing writes from now on');
    this.waiters.rejectAll(new V2Error(ErrorCode.RaftInternal, `etcdserver: ${err.message}`, this.store.index));
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
