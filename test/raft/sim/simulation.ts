// A deterministic simulation of a raft cluster: a fake clock ticks every member,
// a network drops, duplicates, delays, reorders and partitions messages, members
// crash and restart from what their driver persisted, and clients propose, read,
// change membership, transfer leadership and compact. Invariants are checked after
// every event; at the end the network heals and the cluster must make progress.
import { present } from '../../../lib/assert.js';
import { Raft } from '../../../lib/raft/index.js';
import {
  asMemberId,
  type Entry,
  type HardState,
  type MemberId,
  type Message,
  type Ready,
  type Snapshot,
} from '../../../lib/raft/types.js';
import { Checker, InvariantViolation, type MachineState, type Observed } from './checker.js';
import { EventQueue } from './event-queue.js';
import { Rng } from './prng.js';

export interface SimOptions {
  readonly seed: number;
  /** Virtual milliseconds of faults and client load (a tick is about 10). */
  readonly chaosTime: number;
  /** Virtual milliseconds the healed cluster gets to elect a leader and commit a proposal. */
  readonly healTime: number;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  /** Why the run failed, naming the seed. */
  readonly error?: string;
  readonly stats: Record<string, number | string | boolean>;
}

interface Stored {
  hardState: HardState | null;
  snapshot: Snapshot | null;
  entries: Entry[];
}

interface SimNode extends Observed {
  readonly id: MemberId;
  /** The voters it was created with (ignored by raft once a snapshot carries a conf). */
  readonly initialVoters: readonly MemberId[];
  raft: Raft | null;
  incarnation: number;
  readonly storage: Stored;
  sm: MachineState;
  busy: boolean;
  /** Stopped after applying its own removal, as the server does: not restarted by the fault injector. */
  removed: boolean;
  /** Members whose removal this member applied: its transport refuses their messages. */
  readonly removedPeers: Set<MemberId>;
  checkedCommit: number;
}

const TICK_MS = 10;
const MARKER = 'live-';
const EMPTY_SM: MachineState = { index: 0, term: 0, digest: 0 };

const memberId = (n: number): MemberId => asMemberId(n.toString(16).padStart(16, '0'));

export function runSimulation(opts: SimOptions): SimResult {
  const sim = new Simulation(opts);
  try {
    sim.run();
    return { seed: opts.seed, ok: true, stats: sim.summary() };
  } catch (err) {
    const e = err as Error;
    const kind = e instanceof InvariantViolation ? 'invariant violated' : e.name;
    return {
      seed: opts.seed,
      ok: false,
      error: `seed ${opts.seed} at t=${sim.now}: ${kind}: ${e.message}${e instanceof InvariantViolation ? '' : `\n${e.stack}`}`,
      stats: sim.summary(),
    };
  }
}

class Simulation {
  now = 0;
  private readonly rng: Rng;
  private readonly q = new EventQueue();
  private readonly nodes = new Map<MemberId, SimNode>();
  private readonly checker = new Checker(MARKER);
  private nextMember: number;
  private seq = 0;
  private healing = false;
  /** The voters after the newest conf change applied anywhere, and its index. */
  private voters: readonly MemberId[] = [];
  private confIndex = 0;
  private livenessDone = false;
  /** Partition: member → group; messages only flow inside a group. */
  private readonly group = new Map<MemberId, number>();
  /** One-way cuts `${from}>${to}`. */
  private readonly cut = new Set<string>();
  private readonly stats = {
    crashes: 0,
    restarts: 0,
    proposals: 0,
    reads: 0,
    confChanges: 0,
    transfers: 0,
    compactions: 0,
    snapshotsSent: 0,
    dropped: 0,
    events: 0,
  };

  // Per-run parameters, drawn from the seed.
  private readonly size: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxInflight: number;
  private readonly maxMsgBytes: number;
  private readonly heartbeatTick: number;
  private readonly electionTick = 10;
  private dropRate: number;
  private readonly chaosDropRate: number;
  private dupRate: number;
  private slowRate: number;
  private readonly faultRate: number;

  constructor(private readonly opts: SimOptions) {
    this.rng = new Rng(opts.seed);
    const r = this.rng;
    this.size = r.pick([1, 2, 3, 3, 3, 4, 5, 5]);
    this.preVote = r.chance(0.75);
    this.checkQuorum = r.chance(0.75);
    this.maxInflight = r.int(1, 8);
    this.maxMsgBytes = r.pick([1, 64, 256, 4096]);
    this.heartbeatTick = r.pick([1, 1, 2, 3]);
    this.dropRate = r.pick([0, 0.01, 0.05, 0.1, 0.2]);
    this.chaosDropRate = this.dropRate;
    this.dupRate = r.pick([0, 0.02, 0.1]);
    this.slowRate = r.pick([0, 0.05, 0.2]);
    this.faultRate = r.pick([0.5, 1, 2]);
    this.nextMember = this.size + 1;
  }

  summary(): Record<string, number | string | boolean> {
    return {
      size: this.size,
      preVote: this.preVote,
      checkQuorum: this.checkQuorum,
      maxInflight: this.maxInflight,
      maxMsgBytes: this.maxMsgBytes,
      drop: this.chaosDropRate,
      ...this.stats,
      ...this.checker.stats,
      committed: this.checker.maxCommit,
    };
  }

  run(): void {
    const voters = Array.from({ length: this.size }, (_, k) => memberId(k + 1));
    this.voters = voters;
    for (const id of voters) this.addNode(id, voters);
    if (this.size === 1) {
      // As the server does for a single-member cluster.
      const only = this.nodes.get(present(voters[0], 'a cluster of size 1 has a voter')) as SimNode;
      only.raft?.campaign();
      this.kick(only);
    }
    this.scheduleClient();
    this.loop(this.opts.chaosTime, () => false);
    this.heal();
    this.loop(this.opts.chaosTime + this.opts.healTime, () => this.livenessDone);
    if (!this.livenessDone) {
      const roles = [...this.nodes.values()].map((n) => {
        const st = n.raft?.status();
        const voters = st ? st.voters.map((v) => v.slice(-2)).join(',') : '';
        return `${n.id.slice(-2)}:${st ? `${st.role}/t${st.term}/c${st.commit}/a${st.applied}/l${st.lastIndex}/v${voters}` : n.removed ? 'removed' : 'down'}`;
      });
      const conf = this.voters.map((v) => v.slice(-2)).join(',');
      throw new Error(
        `liveness: no proposal committed within ${this.opts.healTime}ms after healing; conf ${conf} at ${this.confIndex} [${roles.join(' ')}]`,
      );
    }
  }

  private loop(until: number, done: () => boolean): void {
    while (!done()) {
      const ev = this.q.pop();
      if (!ev || ev.at > until) {
        if (ev) this.q.push(ev.at, ev.run);
        this.now = until;
        return;
      }
      this.now = ev.at;
      ev.run();
      this.stats.events++;
      this.checker.afterEvent(this.nodes);
    }
  }

  private at(delay: number, run: () => void): void {
    this.q.push(this.now + delay, run);
  }

  // ---- members ----

  private addNode(id: MemberId, voters: readonly MemberId[]): SimNode {
    const n: SimNode = {
      id,
      initialVoters: voters,
      raft: null,
      incarnation: 0,
      storage: { hardState: null, snapshot: null, entries: [] },
      sm: EMPTY_SM,
      busy: false,
      removed: false,
      removedPeers: new Set(),
      checkedCommit: 0,
    };
    this.nodes.set(id, n);
    this.start(n);
    return n;
  }

  private start(n: SimNode): void {
    const s = n.storage;
    const snapIndex = s.snapshot?.meta.index ?? 0;
    const recovered = s.hardState !== null || s.snapshot !== null || s.entries.length > 0;
    const random = this.rng.fork();
    this.checker.onRecover(n, s.snapshot, s.entries);
    n.raft = new Raft({
      id: n.id,
      voters: n.initialVoters,
      electionTick: this.electionTick,
      heartbeatTick: this.heartbeatTick,
      random: () => random.next(),
      preVote: this.preVote,
      checkQuorum: this.checkQuorum,
      maxInflight: this.maxInflight,
      maxMsgBytes: this.maxMsgBytes,
      restore: recovered
        ? { hardState: s.hardState, snapshot: s.snapshot, entries: s.entries.filter((e) => e.index > snapIndex) }
        : undefined,
    });
    n.incarnation++;
    n.busy = false;
    n.checkedCommit = 0;
    n.sm = s.snapshot ? decodeState(s.snapshot.data) : EMPTY_SM;
    this.checker.onRestore(n, n.sm);
    this.scheduleTick(n, n.incarnation);
    this.kick(n);
  }

  private crashSoon(n: SimNode, delay: number): void {
    const incarnation = n.incarnation;
    this.at(delay, () => {
      if (n.incarnation !== incarnation) return;
      this.stats.crashes++;
      this.crash(n);
    });
  }

  private crash(n: SimNode): void {
    n.raft = null;
    n.busy = false;
    n.incarnation++;
  }

  private scheduleTick(n: SimNode, incarnation: number): void {
    // Each member's clock runs a little fast or slow.
    this.at(this.rng.int(TICK_MS - 2, TICK_MS + 2), () => {
      if (n.incarnation !== incarnation || !n.raft) return;
      n.raft.tick();
      this.kick(n);
      this.scheduleTick(n, incarnation);
    });
  }

  // ---- the driver: Ready handling with pipelining ----

  private kick(n: SimNode): void {
    const raft = n.raft;
    if (!raft || n.busy || !raft.hasReady()) return;
    const rd = raft.ready();
    n.busy = true;
    this.checker.onPersist(n, rd.entries);
    const leader = raft.status().role === 'leader';
    // What may leave before the fsync (a leader's appends) leaves now; the rest only after persisting.
    for (const m of rd.sendNow)
      this.checker.onSend(n, m, n.storage, m.type === 'appendResp' && !m.reject ? raft.log.term(m.index) : undefined);
    this.sendAll(rd.sendNow);
    // A leader that dies right after appending or committing leaves the divergent logs that test the commit rule.
    if (leader && (rd.hardState || rd.entries.length > 0) && !this.healing && this.rng.chance(0.02 * this.faultRate)) {
      this.crashSoon(n, this.rng.int(0, 10));
    }
    const ackTerms = rd.sendAfterSync.map((m) =>
      m.type === 'appendResp' && !m.reject ? raft.log.term(m.index) : undefined,
    );
    const incarnation = n.incarnation;
    // Disks stall now and then: a slow fsync widens the window in which the log changes under a Ready.
    const fsync = this.rng.chance(0.1) ? this.rng.int(5, 40) : this.rng.int(0, 3);
    this.at(fsync, () => {
      if (n.incarnation !== incarnation || !n.raft) return;
      this.finishReady(n, rd, ackTerms);
    });
  }

  /** ackTerms: the term of each entry a sendAfterSync message acknowledges. */
  private finishReady(n: SimNode, rd: Ready, ackTerms: (number | undefined)[]): void {
    const raft = n.raft as Raft;
    const s = n.storage;
    if (rd.snapshot) {
      // A snapshot from the leader replaces the whole stored log.
      s.snapshot = rd.snapshot;
      s.entries = [];
    }
    const head = rd.entries[0];
    if (head !== undefined) {
      const keep = s.entries.findIndex((e) => e.index >= head.index);
      if (keep >= 0) s.entries.length = keep;
      for (const e of rd.entries) s.entries.push(e);
    }
    if (rd.hardState) s.hardState = rd.hardState;
    rd.sendAfterSync.forEach((m, k) => this.checker.onSend(n, m, s, ackTerms[k]));
    this.sendAll(rd.sendAfterSync);
    if (rd.snapshot) {
      n.sm = decodeState(rd.snapshot.data);
      this.checker.onRestore(n, n.sm);
    }
    let removedSelf = false;
    for (const e of rd.committed) {
      n.sm = this.checker.onApply(n, n.sm, e);
      if (e.type === 'confChange') removedSelf = this.applyConfChange(n, raft, e) || removedSelf;
    }
    for (const rs of rd.readStates) this.checker.onReadState(n, rs);
    raft.advance(rd);
    n.busy = false;
    if (removedSelf && this.rng.chance(0.5)) {
      // As the server does: a member that applied its own removal stops, a few election timeouts later so
      // that it can still vote while the others learn that the removal committed.
      const incarnation = n.incarnation;
      this.at(this.rng.int(2, 4) * this.electionTick * TICK_MS, () => {
        if (n.incarnation !== incarnation) return;
        n.removed = true;
        this.crash(n);
      });
    }
    this.kick(n);
  }

  /** Returns true when n applied its own removal. */
  private applyConfChange(n: SimNode, raft: Raft, e: Entry): boolean {
    const cc = JSON.parse(e.data.toString()) as { type: 'add' | 'remove'; id: MemberId };
    const conf = raft.applyConfChange(cc);
    // The first member to apply an index has the right configuration for it.
    if (e.index > this.confIndex) {
      this.confIndex = e.index;
      this.voters = conf.voters;
    }
    if (cc.type === 'add' && !this.nodes.has(cc.id)) this.addNode(cc.id, conf.voters);
    if (cc.type === 'remove') n.removedPeers.add(cc.id);
    return cc.type === 'remove' && cc.id === n.id;
  }

  // ---- the network ----

  private sendAll(msgs: readonly Message[]): void {
    for (const m of msgs) this.send(m);
  }

  private blocked(from: MemberId, to: MemberId): boolean {
    return (this.group.get(from) ?? 0) !== (this.group.get(to) ?? 0) || this.cut.has(`${from}>${to}`);
  }

  private latency(): number {
    return this.rng.chance(this.slowRate) ? this.rng.int(10, 80) : this.rng.int(1, 5);
  }

  private send(m: Message): void {
    if (this.blocked(m.from, m.to) || this.rng.chance(this.dropRate)) {
      this.stats.dropped++;
      this.at(this.latency(), () => this.reportDrop(m));
      return;
    }
    this.at(this.latency(), () => this.deliver(m));
    if (this.rng.chance(this.dupRate)) this.at(this.latency(), () => this.deliver(m));
  }

  /** What the transport tells the sender about a message it failed to deliver. */
  private reportDrop(m: Message): void {
    const sender = this.nodes.get(m.from);
    if (!sender?.raft) return;
    if (m.type === 'snapshot') sender.raft.reportSnapshot(m.to, false);
    else if (this.rng.chance(0.5)) sender.raft.reportUnreachable(m.to);
    this.kick(sender);
  }

  private deliver(m: Message): void {
    const to = this.nodes.get(m.to);
    if (!to?.raft || to.removedPeers.has(m.from)) {
      this.reportDrop(m);
      return;
    }
    to.raft.step(m);
    this.kick(to);
    if (m.type === 'snapshot') {
      this.stats.snapshotsSent++;
      const sender = this.nodes.get(m.from);
      if (sender?.raft) {
        sender.raft.reportSnapshot(m.to, true);
        this.kick(sender);
      }
    }
  }

  // ---- clients and faults ----

  private live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.raft !== null);
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const n of this.live()) {
      const st = (n.raft as Raft).status();
      if (st.role === 'leader' && st.term > bestTerm) {
        best = n;
        bestTerm = st.term;
      }
    }
    return best;
  }

  private scheduleClient(): void {
    this.at(this.rng.int(1, 12), () => {
      if (this.healing) return;
      this.clientAction();
      this.scheduleClient();
    });
  }

  private clientAction(): void {
    const r = this.rng;
    const live = this.live();
    const roll = r.next() * 100;
    const f = this.faultRate;
    if (roll < 45) {
      const to = this.clientTarget();
      if (to) this.propose(to);
    } else if (roll < 65) {
      const to = this.clientTarget();
      if (to) this.read(to);
    } else if (roll < 65 + 3) {
      this.changeMembership();
    } else if (roll < 68 + 3) {
      const l = this.leader();
      if (l) {
        const voters = (l.raft as Raft).status().voters.filter((v) => v !== l.id);
        if (voters.length > 0) {
          this.stats.transfers++;
          (l.raft as Raft).transferLeadership(present(r.pick(voters), 'voters is not empty'));
          this.kick(l);
        }
      }
    } else if (roll < 71 + 5) {
      if (live.length > 0) this.compact(present(r.pick(live), 'live is not empty'));
    } else if (roll < 76 + 3 * f) {
      // Leaders are the interesting victims: their uncommitted entries make divergent logs.
      const victim = r.chance(0.5) ? (this.leader() ?? r.pick(live)) : r.pick(live);
      if (victim) {
        this.stats.crashes++;
        this.crash(victim);
      }
    } else if (roll < 76 + 7 * f) {
      const down = [...this.nodes.values()].filter((n) => !n.raft && !n.removed);
      if (down.length > 0) {
        this.stats.restarts++;
        this.start(present(r.pick(down), 'down is not empty'));
      }
    } else if (roll < 76 + 10 * f) {
      this.repartition();
    }
  }

  /** Half the requests go to a member that believes it leads: a deposed leader's answers are where bugs show. */
  private clientTarget(): SimNode | undefined {
    const live = this.live();
    if (live.length === 0) return undefined;
    const leaders = live.filter((n) => (n.raft as Raft).status().role === 'leader');
    return leaders.length > 0 && this.rng.chance(0.5) ? this.rng.pick(leaders) : this.rng.pick(live);
  }

  private propose(n: SimNode): void {
    const r = this.rng;
    const items = Array.from({ length: r.int(1, 3) }, () => ({
      type: 'normal' as const,
      data: Buffer.from(`p${++this.seq}${r.chance(0.2) ? '.'.repeat(r.int(1, 300)) : ''}`),
    }));
    this.stats.proposals++;
    (n.raft as Raft).propose(items);
    this.kick(n);
  }

  private read(n: SimNode): void {
    const ctx = `r${++this.seq}`;
    this.stats.reads++;
    if ((n.raft as Raft).readIndex(ctx)) this.checker.onReadRequested(ctx, n.id);
    this.kick(n);
  }

  private changeMembership(): void {
    const l = this.leader();
    if (!l) return;
    const voters = (l.raft as Raft).status().voters;
    let cc: { type: 'add' | 'remove'; id: MemberId };
    if (voters.length < 6 && (voters.length <= 2 || this.rng.chance(0.5)))
      cc = { type: 'add', id: memberId(this.nextMember++) };
    else cc = { type: 'remove', id: present(this.rng.pick(voters), 'a leader is among the voters') };
    // Proposed through a random member so forwarding is exercised too.
    const via = this.rng.chance(0.5) ? l : present(this.rng.pick(this.live()), 'the leader is live');
    if ((via.raft as Raft).propose([{ type: 'confChange', data: Buffer.from(JSON.stringify(cc)) }]))
      this.stats.confChanges++;
    this.kick(via);
  }

  private compact(n: SimNode): void {
    const raft = n.raft as Raft;
    const snapIndex = n.storage.snapshot?.meta.index ?? 0;
    if (n.busy || n.sm.index <= snapIndex) return;
    const snap: Snapshot = {
      meta: {
        index: n.sm.index as Snapshot['meta']['index'],
        term: n.sm.term as Snapshot['meta']['term'],
        conf: { voters: raft.status().voters },
      },
      data: encodeState(n.sm),
    };
    const keep = this.rng.int(0, 10);
    n.storage.snapshot = snap;
    n.storage.entries = n.storage.entries.filter((e) => e.index > snap.meta.index - keep);
    raft.compact(snap, keep);
    this.stats.compactions++;
  }

  private repartition(): void {
    const r = this.rng;
    const ids = [...this.nodes.keys()];
    this.group.clear();
    this.cut.clear();
    const roll = r.next();
    if (roll < 0.35) return;
    if (roll < 0.65) {
      const isolated = r.chance(0.5) ? (this.leader()?.id ?? r.pick(ids)) : r.pick(ids);
      if (isolated !== undefined) this.group.set(isolated, 1);
    } else if (roll < 0.9) for (const id of ids) this.group.set(id, r.int(0, 1));
    else {
      const from = r.pick(ids);
      const to = r.pick(ids);
      if (from !== to) this.cut.add(`${from}>${to}`);
    }
  }

  // ---- healing and liveness ----

  private heal(): void {
    this.healing = true;
    this.group.clear();
    this.cut.clear();
    this.dropRate = 0;
    this.dupRate = 0;
    this.slowRate = 0;
    this.healStep();
  }

  /**
   * Keep the members of the newest configuration running; once a leader exists,
   * propose a marker until one commits. A removed member comes back too while
   * a member of the newest configuration still counts it: until that member
   * learns the removal committed, it cannot be elected without the removed
   * member's vote (configurations take effect when applied, as in etcd).
   */
  private healStep(): void {
    if (this.checker.markerCommitted) {
      this.livenessDone = true;
      return;
    }
    const needed = new Set(this.voters);
    for (const n of this.live()) {
      if (this.voters.includes(n.id)) for (const v of (n.raft as Raft).status().voters) needed.add(v);
    }
    for (const n of this.nodes.values()) if (needed.has(n.id) && !n.raft) this.start(n);
    const l = this.leader();
    if (l) {
      (l.raft as Raft).propose([{ type: 'normal', data: Buffer.from(`${MARKER}${++this.seq}`) }]);
      this.kick(l);
    }
    this.at(5 * TICK_MS, () => this.healStep());
  }
}

function encodeState(s: MachineState): Buffer {
  return Buffer.from(JSON.stringify(s));
}

function decodeState(b: Buffer): MachineState {
  return JSON.parse(b.toString()) as MachineState;
}
