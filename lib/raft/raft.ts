import {
  DEFAULT_MAX_PENDING_READS,
  isProposal,
  validateConfig,
  type ConfChange,
  type Proposal,
  type ProgressStatus,
  type RaftConfig,
  type RaftStatus,
} from './config.js';
import { RaftError } from './errors.js';
import { RaftLog, type ReadonlyRaftLog } from './log.js';
import { messageProblem } from './message-check.js';
import { Progress } from './progress.js';
import { ReadOnly } from './read-only.js';
import { MAX_TERM_LEAP, MAX_WIRE_INTEGER, NO_MEMBER } from './types.js';
import type {
  ConfState,
  Entry,
  HardState,
  Index,
  MemberId,
  Message,
  ReadState,
  Ready,
  Role,
  Snapshot,
  Term,
} from './types.js';

type CampaignKind = 'preElection' | 'election' | 'transfer';

const EMPTY = Buffer.alloc(0);
const ix = (n: number): Index => n as Index;
const tm = (n: number): Term => n as Term;

/**
 * One member's Raft state machine, modelled on etcd's raft library. Pure: time
 * enters through tick(), messages through step(), and everything it wants done
 * leaves through ready()/advance().
 */
export class Raft {
  readonly id: MemberId;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly random: () => number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxInflight: number;
  private readonly maxMsgBytes: number;
  private readonly checkProposal: (p: Proposal) => string | null;
  private readonly maxPendingReads: number;

  private readonly raftLog: RaftLog;
  private term = 0;
  private vote: MemberId = NO_MEMBER;
  private lead: MemberId = NO_MEMBER;
  private role: Role = 'follower';
  private voters: Set<MemberId>;
  /** maybeCommit's match indexes, largest first. */
  private readonly matchScratch: number[] = [];
  /** Leader: the followers' progress, and its own (whose match is what it has persisted). */
  private readonly prs = new Map<MemberId, Progress>();
  private readonly votes = new Map<MemberId, boolean>();
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee: MemberId = NO_MEMBER;
  /** Told to campaign (timeoutNow) while a committed conf change was unapplied: campaign once it is applied. */
  private transferCampaignDue = false;
  /** Leader: no conf change may be proposed until this index is applied. */
  private pendingConfIndex = 0;
  private readonly readOnly = new ReadOnly();
  /** Leader: ReadIndex requests waiting for the first commit of its term. */
  private pendingReads: { from: MemberId; ctx: string }[] = [];
  private prevHardState: HardState;
  private prevLeader: MemberId = NO_MEMBER;
  private prevRole: Role = 'follower';
  private readyOutstanding = false;

  constructor(cfg: RaftConfig) {
    validateConfig(cfg);
    this.id = cfg.id;
    this.electionTimeout = cfg.electionTick;
    this.heartbeatTimeout = cfg.heartbeatTick;
    this.random = cfg.random;
    this.preVote = cfg.preVote;
    this.checkQuorum = cfg.checkQuorum;
    this.maxInflight = cfg.maxInflight;
    this.maxMsgBytes = cfg.maxMsgBytes;
    this.checkProposal = cfg.checkProposal ?? (() => null);
    this.maxPendingReads = cfg.maxPendingReads ?? DEFAULT_MAX_PENDING_READS;
    const r = cfg.restore;
    const snapshot = r?.snapshot ?? null;
    const hs = r?.hardState ?? null;
    this.raftLog = RaftLog.recover(snapshot, r?.entries ?? [], hs?.commit ?? 0);
    if (r?.applied !== undefined) {
      if (r.applied > this.raftLog.committed) {
        throw new RaftError(
          'invalid-restore',
          `applied ${r.applied} is beyond the commit index ${this.raftLog.committed}`,
        );
      }
      this.raftLog.appliedTo(r.applied);
    }
    this.voters = new Set(r?.conf?.voters ?? snapshot?.meta.conf.voters ?? cfg.voters);
    if (hs) {
      this.term = hs.term;
      this.vote = hs.vote;
    }
    this.prevHardState = hs ?? { term: tm(0), vote: NO_MEMBER, commit: ix(0) };
    this.becomeFollower(this.term, NO_MEMBER);
  }

  /** The current term: cheaper than status() on paths that run per request. */
  currentTerm(): Term {
    return tm(this.term);
  }

  /** A read-only view of the log, for tests and inspection. */
  get log(): ReadonlyRaftLog {
    return this.raftLog;
  }

  // ---- time ----

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, NO_MEMBER);
        return;
      }
      // A transfer not done within an election timeout is abandoned and proposals are accepted again.
      this.leadTransferee = NO_MEMBER;
    }
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastKey());
    }
  }

  /** Were a quorum of voters heard from since the last check? Starts the next check period. */
  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.voters) {
      if (id === this.id || this.prs.get(id)?.recentActive) active++;
    }
    for (const [id, pr] of this.prs) if (id !== this.id) pr.recentActive = false;
    return active >= this.quorum();
  }

  // ---- roles ----

  private quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  private promotable(): boolean {
    return this.voters.has(this.id);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NO_MEMBER;
    }
    this.lead = NO_MEMBER;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(this.random() * this.electionTimeout);
    this.leadTransferee = NO_MEMBER;
    this.transferCampaignDue = false;
    this.votes.clear();
    this.prs.clear();
    this.readOnly.reset();
    this.pendingReads = [];
  }

  private becomeFollower(term: number, lead: MemberId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    // Pre-vote changes neither term nor vote: a member that cannot win leaves no trace.
    this.votes.clear();
    this.lead = NO_MEMBER;
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const last = this.raftLog.lastIndex();
    for (const id of this.voters) this.prs.set(id, new Progress(last + 1, this.maxInflight));
    const self = new Progress(last + 1, this.maxInflight);
    self.match = this.raftLog.stableIndex();
    self.recentActive = true;
    this.prs.set(this.id, self);
    // An unapplied conf change may hide in the inherited log: wait until all of it is applied.
    this.pendingConfIndex = last;
    this.raftLog.append([{ term: tm(this.term), index: ix(last + 1), type: 'empty', data: EMPTY }]);
  }

  private hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.promotable() || this.hasUnappliedConfChange()) return;
    this.startCampaign(transfer ? 'transfer' : this.preVote ? 'preElection' : 'election');
  }

  /** A committed conf change not yet applied may change who votes: wait for it. */
  private hasUnappliedConfChange(): boolean {
    const log = this.raftLog;
    for (let i = Math.max(log.applied, log.firstIndex() - 1) + 1; i <= log.committed; i++) {
      if (log.entry(i)?.type === 'confChange') return true;
    }
    return false;
  }

  private startCampaign(kind: CampaignKind): void {
    // The next term could not be sent or persisted: stay put rather than emit what no peer can decode.
    if (this.term + 1 > MAX_WIRE_INTEGER) return;
    let voteTerm: number;
    if (kind === 'preElection') {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      if (kind === 'preElection') this.startCampaign('election');
      else {
        this.becomeLeader();
        this.bcastAppend();
      }
      return;
    }
    const type = kind === 'preElection' ? 'preVote' : 'vote';
    const lastIndex = ix(this.raftLog.lastIndex());
    const lastTerm = tm(this.raftLog.lastTerm());
    for (const to of this.voters) {
      if (to === this.id) continue;
      this.msgs.push(
        kind === 'transfer'
          ? { type, from: this.id, to, term: tm(voteTerm), lastIndex, lastTerm, transfer: true }
          : { type, from: this.id, to, term: tm(voteTerm), lastIndex, lastTerm },
      );
    }
  }

  private poll(from: MemberId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    let yes = 0;
    let no = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) yes++;
      else if (v === false) no++;
    }
    const q = this.quorum();
    if (yes >= q) return 'won';
    if (this.voters.size - no < q) return 'lost';
    return 'pending';
  }

  // ---- messages ----

  /**
   * Takes one message from a peer. Returns why it was dropped when it is
   * malformed or implausible (for the caller to log), else null; messages the
   * protocol merely ignores (stale terms, votes inside a lease) also give null.
   */
  step(m: Message): string | null {
    const problem = messageProblem(m, this.id);
    if (problem !== null) return problem;
    if (m.type === 'propose') {
      // messageProblem let through only normal and confChange entries.
      return this.role === 'leader' ? this.appendForwarded(m.from, m.entries as readonly Proposal[]) : null;
    }
    if (m.type === 'readIndex') {
      if (this.role === 'leader') this.handleReadIndex(m.from, m.ctx);
      return null;
    }
    if (m.term > this.term + MAX_TERM_LEAP)
      return `term ${m.term} is more than ${MAX_TERM_LEAP} ahead of ours (${this.term})`;
    if (m.term > this.term) {
      if (
        (m.type === 'preVote' || m.type === 'vote') &&
        this.inLease() &&
        !(m.transfer === true && this.transferringTo(m.from))
      )
        return null;
      if (m.type === 'preVote' || (m.type === 'preVoteResp' && !m.reject)) {
        // A pre-vote (or a granted answer to ours) carries a term nobody has entered yet.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NO_MEMBER);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
        // A leader cut off by a partition learns of the newer term and steps down.
        this.send({ type: 'appendResp', to: m.from, reject: false, index: ix(0), rejectHint: ix(0), hintTerm: tm(0) });
      } else if (m.type === 'preVote') {
        this.msgs.push({ type: 'preVoteResp', from: this.id, to: m.from, term: tm(this.term), reject: true });
      }
      return null;
    }

    if (m.type === 'preVote' || m.type === 'vote') {
      this.handleVoteRequest(m);
      return null;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
    return null;
  }

  /**
   * etcd's leader lease: with check-quorum, a member that heard from a leader
   * within the election timeout ignores votes. A leader that is no longer a
   * voter (its removal is applied here) holds no lease.
   */
  private inLease(): boolean {
    return (
      this.checkQuorum &&
      this.lead !== NO_MEMBER &&
      this.voters.has(this.lead) &&
      this.electionElapsed < this.electionTimeout
    );
  }

  /**
   * Whether this member knows of a transfer to `candidate`: only the leader
   * that chose it does. Anyone else treats a vote flagged as a transfer as an
   * ordinary one, so a forged flag cannot break a lease.
   */
  private transferringTo(candidate: MemberId): boolean {
    return this.role === 'leader' && this.leadTransferee === candidate;
  }

  private handleVoteRequest(m: Extract<Message, { type: 'preVote' | 'vote' }>): void {
    const respType = m.type === 'preVote' ? 'preVoteResp' : 'voteResp';
    const canVote =
      this.vote === m.from ||
      (this.vote === NO_MEMBER && this.lead === NO_MEMBER) ||
      (m.type === 'preVote' && m.term > this.term);
    if (canVote && this.raftLog.isUpToDate(m.lastIndex, m.lastTerm)) {
      // The answer carries the requested term so the candidate counts it even before entering that term itself.
      this.msgs.push({ type: respType, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.msgs.push({ type: respType, from: this.id, to: m.from, term: tm(this.term), reject: true });
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        break;
      case 'snapshot':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        break;
      case 'timeoutNow':
        // Only the leader we follow may hand us leadership.
        if (m.from !== this.lead) break;
        if (this.hasUnappliedConfChange()) this.transferCampaignDue = true;
        else this.hup(true);
        break;
      case 'readIndexResp':
        this.readStates.push({ index: m.index, ctx: m.ctx });
        break;
      default:
        break;
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'append':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        break;
      case 'snapshot':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        break;
      case 'preVoteResp':
      case 'voteResp': {
        if ((m.type === 'preVoteResp') !== (this.role === 'preCandidate')) return;
        // A granted pre-vote names the term we asked for; one naming our current term answers an older campaign.
        if (m.type === 'preVoteResp' && !m.reject && m.term !== this.term + 1) return;
        const result = this.poll(m.from, !m.reject);
        if (result === 'won') {
          if (this.role === 'preCandidate') this.startCampaign('election');
          else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (result === 'lost') {
          this.becomeFollower(this.term, NO_MEMBER);
        }
        break;
      }
      default:
        break;
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.prs.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case 'appendResp':
        pr.recentActive = true;
        this.handleAppendResp(m, pr);
        break;
      case 'heartbeatResp':
        pr.recentActive = true;
        this.handleHeartbeatResp(m, pr);
        break;
      case 'snapshotStatus':
        pr.recentActive = true;
        this.snapshotDone(pr, !m.reject);
        break;
      default:
        break;
    }
  }

  // ---- follower side ----

  private handleAppend(m: Extract<Message, { type: 'append' }>): void {
    const log = this.raftLog;
    if (m.prevIndex < log.committed) {
      this.acceptAppend(m.from, log.committed);
      return;
    }
    const lastNew = log.maybeAppend(m.prevIndex, m.prevTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.acceptAppend(m.from, lastNew);
      return;
    }
    // Point the leader at the last entry that can match: at most our last index, and no entry of a term the leader's prevTerm excludes.
    const hint = log.findConflictByTerm(Math.min(m.prevIndex, log.lastIndex()), m.prevTerm);
    this.send({
      type: 'appendResp',
      to: m.from,
      reject: true,
      index: m.prevIndex,
      rejectHint: ix(hint.index),
      hintTerm: tm(hint.term),
    });
  }

  /** Tells the leader that this member's log matches its own up to `index`. */
  private acceptAppend(to: MemberId, index: number): void {
    this.send({ type: 'appendResp', to, reject: false, index: ix(index), rejectHint: ix(0), hintTerm: tm(0) });
  }

  private handleHeartbeat(m: Extract<Message, { type: 'heartbeat' }>): void {
    this.raftLog.commitTo(Math.min(m.commit, this.raftLog.lastIndex()));
    this.send({ type: 'heartbeatResp', to: m.from, ctx: m.ctx });
  }

  private handleSnapshot(m: Extract<Message, { type: 'snapshot' }>): void {
    const log = this.raftLog;
    const s = m.snapshot;
    if (s.meta.index > log.committed) {
      if (log.term(s.meta.index) === s.meta.term) {
        // Our log already holds the snapshot's last entry: commit up to it instead of discarding the log.
        log.commitTo(s.meta.index);
      } else {
        log.restore(s);
        this.voters = new Set(s.meta.conf.voters);
      }
    }
    this.acceptAppend(m.from, log.committed);
  }

  // ---- leader side ----

  /**
   * Every caller hands in a fresh literal, so it is completed in place: a
   * spread copy costs about a microsecond a message (measured on appends),
   * some seventy times more.
   */
  private send(m: DistributiveOmit<Message, 'from' | 'term'>): void {
    const msg = m as { -readonly [K in keyof Message]: Message[K] };
    msg.from = this.id;
    msg.term = tm(this.term);
    this.msgs.push(msg as Message);
  }

  private bcastAppend(): void {
    for (const id of this.voters) if (id !== this.id) this.sendAppend(id);
  }

  /** Sends what the follower needs, then keeps pipelining in replicate state while the window allows. */
  private sendAppend(to: MemberId): void {
    if (!this.maybeSendAppend(to, true)) return;
    while (this.maybeSendAppend(to, false));
  }

  private maybeSendAppend(to: MemberId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const log = this.raftLog;
    const prevIndex = pr.next - 1;
    const prevTerm = log.term(prevIndex);
    const entries = log.slice(pr.next, log.lastIndex() + 1, this.maxMsgBytes);
    if (entries !== undefined && entries.length === 0 && !sendIfEmpty) return false;
    if (prevTerm === undefined || entries === undefined) return this.maybeSendSnapshot(to, pr);
    this.send({
      type: 'append',
      to,
      prevIndex: ix(prevIndex),
      prevTerm: tm(prevTerm),
      entries,
      commit: ix(log.committed),
    });
    pr.sentEntries(entries.length, prevIndex + entries.length);
    return true;
  }

  private maybeSendSnapshot(to: MemberId, pr: Progress): boolean {
    const s = this.raftLog.snapshot;
    // A member not heard from lately may be down: a snapshot is too big to send on speculation.
    if (!pr.recentActive || s === null) return false;
    this.send({ type: 'snapshot', to, snapshot: s });
    pr.becomeSnapshot(s.meta.index);
    return true;
  }

  private bcastHeartbeat(ctx: string): void {
    for (const id of this.voters) {
      if (id === this.id) continue;
      const pr = this.prs.get(id);
      if (!pr) continue;
      // Never tell a follower to commit beyond what it is known to share with us.
      this.send({ type: 'heartbeat', to: id, commit: ix(Math.min(pr.match, this.raftLog.committed)), ctx });
    }
  }

  private handleAppendResp(m: Extract<Message, { type: 'appendResp' }>, pr: Progress): void {
    if (m.reject) {
      let hint: number = m.rejectHint;
      if (m.hintTerm > 0) hint = this.raftLog.findConflictByTerm(m.rejectHint, m.hintTerm).index;
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    if (m.index > this.raftLog.lastIndex()) return;
    const wasPaused = pr.isPaused();
    // An acknowledgement at match still moves a probing follower to replicate: it proves where the logs agree.
    if (!pr.maybeUpdate(m.index) && !(pr.state === 'probe' && pr.match === m.index)) return;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
    if (this.maybeCommit()) this.bcastAppend();
    else if (wasPaused) this.sendAppend(m.from);
    while (this.maybeSendAppend(m.from, false));
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(m.from);
  }

  private handleHeartbeatResp(m: Extract<Message, { type: 'heartbeatResp' }>, pr: Progress): void {
    pr.probeSent = false;
    // Acknowledgements may have been lost: free a slot so the window cannot stay shut forever.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.raftLog.lastIndex() || pr.state === 'probe') this.sendAppend(m.from);
    if (m.ctx === '') return;
    for (const r of this.readOnly.ack(m.ctx, m.from, (acks) => this.countVoters(acks) >= this.quorum())) {
      this.respondRead(r.from, r.ctx, r.index);
    }
  }

  private countVoters(ids: ReadonlySet<MemberId>): number {
    let n = 0;
    for (const id of ids) if (this.voters.has(id)) n++;
    return n;
  }

  private snapshotDone(pr: Progress, ok: boolean): void {
    if (pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // After success wait for the follower's answer; after failure wait for a heartbeat answer before retrying.
    pr.probeSent = true;
  }

  private sendTimeoutNow(to: MemberId): void {
    this.send({ type: 'timeoutNow', to });
  }

  /** Commits the highest index a quorum has persisted, if it belongs to this term (Raft §5.4.2, figure 8). */
  private maybeCommit(): boolean {
    // Runs on every acknowledgement: sorted by insertion into a kept array, as Array.sort allocates each call.
    const matches = this.matchScratch;
    matches.length = 0;
    for (const id of this.voters) {
      const match = this.prs.get(id)?.match ?? 0;
      let i = matches.length;
      matches.push(match);
      for (let prev = matches[i - 1]; prev !== undefined && prev < match; prev = matches[i - 1]) matches[i--] = prev;
      matches[i] = match;
    }
    const q = this.quorum();
    const index = matches[q - 1];
    if (index === undefined) return false;
    if (index <= this.raftLog.committed || this.raftLog.term(index) !== this.term) return false;
    const firstOfTerm = this.raftLog.term(this.raftLog.committed) !== this.term;
    this.raftLog.commitTo(index);
    if (firstOfTerm) this.releasePendingReads();
    return true;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.term(this.raftLog.committed) === this.term;
  }

  private releasePendingReads(): void {
    const pending = this.pendingReads;
    this.pendingReads = [];
    for (const r of pending) this.handleReadIndex(r.from, r.ctx);
  }

  /** Leader: takes a ReadIndex request; false when too many are waiting already (the request is dropped). */
  private handleReadIndex(from: MemberId, ctx: string): boolean {
    // Until an entry of its term is committed, a new leader's commit index may lag what earlier leaders committed.
    if (!this.committedEntryInCurrentTerm()) {
      if (this.pendingReads.length + this.readOnly.pending >= this.maxPendingReads) return false;
      this.pendingReads.push({ from, ctx });
      return true;
    }
    const index = this.raftLog.committed;
    if (this.quorum() === 1 && this.voters.has(this.id)) {
      this.respondRead(from, ctx, index);
      return true;
    }
    if (this.readOnly.pending >= this.maxPendingReads) return false;
    const key = this.readOnly.add({ from, ctx }, index, this.id);
    if (key !== null) this.bcastHeartbeat(key);
    return true;
  }

  private respondRead(from: MemberId, ctx: string, index: number): void {
    if (from === this.id) this.readStates.push({ index: ix(index), ctx });
    else this.send({ type: 'readIndexResp', to: from, ctx, index: ix(index) });
  }

  /**
   * Leader: proposals forwarded by a follower. Those the state machine could
   * not apply (checkProposal) are dropped and the rest appended; returns why
   * some were dropped, for the caller to log with the sender.
   */
  private appendForwarded(from: MemberId, items: readonly Proposal[]): string | null {
    const good: Proposal[] = [];
    let first: string | null = null;
    for (const it of items) {
      const why = this.checkProposal(it);
      if (why === null) good.push(it);
      else first ??= `${it.type} proposal: ${why}`;
    }
    if (good.length > 0) this.appendProposals(good);
    if (first === null) return null;
    return `dropped ${items.length - good.length} of ${items.length} proposals forwarded by ${from}, the first a ${first}`;
  }

  /** Leader: appends proposals. Returns false when refused (transfer in progress, a conf change already pending, bad type). */
  private appendProposals(items: readonly { type: unknown; data: unknown }[]): boolean {
    if (this.leadTransferee !== NO_MEMBER) return false;
    let confChanges = 0;
    for (const it of items) {
      if (!isProposal(it)) return false;
      if (it.type === 'confChange') confChanges++;
    }
    if (confChanges > 1 || (confChanges === 1 && this.pendingConfIndex > this.raftLog.applied)) return false;
    const term = tm(this.term);
    let index = this.raftLog.lastIndex();
    const entries: Entry[] = [];
    for (const it of items) {
      index++;
      const p = it as Proposal;
      entries.push({ term, index: ix(index), type: p.type, data: p.data });
      if (it.type === 'confChange') this.pendingConfIndex = index;
    }
    this.raftLog.append(entries);
    this.bcastAppend();
    return true;
  }

  // ---- the driver's API ----

  /**
   * Leader: append. Follower with a known leader: forward. Otherwise (or refused): false, dropped. Zero items: a no-op.
   * Throws RaftError('invalid-proposal'), taking none of them, when checkProposal refuses one: the driver made a proposal it could not apply.
   */
  propose(items: readonly Proposal[]): boolean {
    if (items.length === 0) return true;
    if (!items.every(isProposal)) return false;
    for (const it of items) {
      const why = this.checkProposal(it);
      if (why !== null) throw new RaftError('invalid-proposal', `${it.type} proposal: ${why}`);
    }
    if (this.role === 'leader') return this.appendProposals(items);
    if (this.role !== 'follower' || this.lead === NO_MEMBER) return false;
    this.send({
      type: 'propose',
      to: this.lead,
      entries: items.map((it) => ({ term: tm(0), index: ix(0), type: it.type, data: it.data })),
    });
    return true;
  }

  /**
   * Linearizable read point for ctx; the ReadState comes in a later Ready.
   * False when no leader is known, or (leader) when maxPendingReads are waiting already.
   */
  readIndex(ctx: string): boolean {
    if (this.role === 'leader') return this.handleReadIndex(this.id, ctx);
    if (this.role !== 'follower' || this.lead === NO_MEMBER) return false;
    this.msgs.push({ type: 'readIndex', from: this.id, to: this.lead, term: tm(0), ctx });
    return true;
  }

  /** Call when a committed confChange entry is applied. Adding a present or removing an absent member is a no-op. */
  applyConfChange(cc: ConfChange): ConfState {
    if (cc.type === 'add' && !this.voters.has(cc.id) && cc.id !== NO_MEMBER) {
      this.voters.add(cc.id);
      if (this.role === 'leader') {
        const pr = new Progress(this.raftLog.lastIndex() + 1, this.maxInflight);
        // A new member counts as active so the first check-quorum does not hold its silence against us.
        pr.recentActive = true;
        this.prs.set(cc.id, pr);
        this.sendAppend(cc.id);
      }
    } else if (cc.type === 'remove' && this.voters.has(cc.id)) {
      this.voters.delete(cc.id);
      if (cc.id === this.id) {
        if (this.role === 'leader') this.handOverOnRemoval();
        if (this.role !== 'follower') this.becomeFollower(this.term, NO_MEMBER);
      } else if (this.role === 'leader') {
        this.prs.delete(cc.id);
        if (cc.id === this.leadTransferee) this.leadTransferee = NO_MEMBER;
        // A smaller quorum may already hold entries not yet committed.
        if (this.maybeCommit()) this.bcastAppend();
      }
    }
    return this.confState();
  }

  /**
   * A leader that removed itself tells a fully caught-up voter to campaign now.
   * The others may not know yet that the removal committed, and until they do
   * they count this member among the voters: an election while it is still
   * around to vote is the quick way out.
   */
  private handOverOnRemoval(): void {
    const last = this.raftLog.lastIndex();
    let best: MemberId = NO_MEMBER;
    for (const id of this.voters) {
      if (this.prs.get(id)?.match === last && (best === NO_MEMBER || id < best)) best = id;
    }
    if (best !== NO_MEMBER) this.sendTimeoutNow(best);
  }

  private confState(): ConfState {
    return { voters: [...this.voters].sort() };
  }

  /** Leader: hand leadership to `to` once it has caught up. Proposals are refused until done or aborted (after an election timeout). */
  transferLeadership(to: MemberId): void {
    if (this.role !== 'leader' || to === this.id || !this.voters.has(to)) return;
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    const pr = this.prs.get(to);
    if (pr?.match === this.raftLog.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to);
  }

  /** After the server saved a snapshot up to snapshot.meta.index: keep it and drop entries up to index - keepEntries. */
  compact(snapshot: Snapshot, keepEntries: number): void {
    const keep = Number.isSafeInteger(keepEntries) && keepEntries > 0 ? keepEntries : 0;
    this.raftLog.compact(snapshot, keep);
  }

  /** The transport could not deliver to id: stop pipelining to it until it answers again. */
  reportUnreachable(id: MemberId): void {
    const pr = this.role === 'leader' ? this.prs.get(id) : undefined;
    if (pr?.state === 'replicate') pr.becomeProbe();
  }

  /** The transport finished (ok) or failed sending a snapshot to id. */
  reportSnapshot(id: MemberId, ok: boolean): void {
    const pr = this.role === 'leader' ? this.prs.get(id) : undefined;
    if (pr) this.snapshotDone(pr, ok);
  }

  /** Start an election now (with pre-vote when configured). */
  campaign(): void {
    this.hup(false);
  }

  hasReady(): boolean {
    if (this.readyOutstanding) return false;
    const log = this.raftLog;
    return (
      this.lead !== this.prevLeader ||
      this.role !== this.prevRole ||
      this.hardStateChanged() ||
      log.pendingSnapshot !== null ||
      log.hasUnstable() ||
      this.msgs.length > 0 ||
      this.readStates.length > 0 ||
      log.hasNextCommitted()
    );
  }

  private hardStateChanged(): boolean {
    const p = this.prevHardState;
    return p.term !== this.term || p.vote !== this.vote || p.commit !== this.raftLog.committed;
  }

  ready(): Ready {
    if (this.readyOutstanding) throw new RaftError('ready-outstanding', 'advance() the previous Ready first');
    const log = this.raftLog;
    const hardState = this.hardStateChanged()
      ? { term: tm(this.term), vote: this.vote, commit: ix(log.committed) }
      : null;
    const softState =
      this.lead !== this.prevLeader || this.role !== this.prevRole ? { leader: this.lead, role: this.role } : null;
    const entries = log.unstableEntries();
    const prev = this.prevHardState;
    const mustSync =
      entries.length > 0 ||
      log.pendingSnapshot !== null ||
      (hardState !== null && (hardState.term !== prev.term || hardState.vote !== prev.vote));
    // Only a leader's messages never speak for its own unsynced state (it counts its own copy after advance).
    const pipelined = this.role === 'leader' || !mustSync;
    const rd: Ready = {
      hardState,
      entries,
      snapshot: log.pendingSnapshot,
      sendNow: pipelined ? this.msgs : [],
      sendAfterSync: pipelined ? [] : this.msgs,
      mustSync,
      committed: log.nextCommitted(),
      readStates: this.readStates,
      softState,
    };
    if (hardState) this.prevHardState = hardState;
    this.prevLeader = this.lead;
    this.prevRole = this.role;
    this.msgs = [];
    this.readStates = [];
    this.readOnly.close();
    this.readyOutstanding = true;
    return rd;
  }

  advance(rd: Ready): void {
    if (!this.readyOutstanding) throw new RaftError('no-ready-outstanding', 'advance() without a Ready handed out');
    this.readyOutstanding = false;
    const log = this.raftLog;
    if (rd.snapshot) log.snapshotPersisted(rd.snapshot);
    const lastEntry = rd.entries.at(-1);
    if (lastEntry) log.stableTo(lastEntry.index, lastEntry.term);
    const lastCommitted = rd.committed.at(-1);
    if (lastCommitted) log.appliedTo(lastCommitted.index);
    if (this.transferCampaignDue && this.role === 'follower' && !this.hasUnappliedConfChange()) {
      this.transferCampaignDue = false;
      this.hup(true);
    }
    if (this.role === 'leader') {
      // The leader's own copy counts toward commit only now that it is on disk.
      this.prs.get(this.id)?.maybeUpdate(log.stableIndex());
      if (this.maybeCommit()) this.bcastAppend();
    }
  }

  status(): RaftStatus {
    const log = this.raftLog;
    const progress: Record<string, ProgressStatus> = {};
    if (this.role === 'leader') {
      for (const [id, pr] of this.prs) {
        if (id === this.id) continue;
        progress[id] = {
          match: ix(pr.match),
          next: ix(pr.next),
          state: pr.state,
          inflight: pr.inflights.count,
          recentActive: pr.recentActive,
        };
      }
    }
    return {
      id: this.id,
      role: this.role,
      term: tm(this.term),
      vote: this.vote,
      leader: this.lead,
      commit: ix(log.committed),
      applied: ix(log.applied),
      lastIndex: ix(log.lastIndex()),
      firstIndex: ix(log.firstIndex()),
      voters: this.confState().voters,
      leadTransferee: this.leadTransferee,
      progress,
    };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
