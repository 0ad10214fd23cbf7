// A synchronous driver and network for raft scenario tests: every Ready is
// persisted to an in-memory store, applied and advanced at once, and messages
// are delivered in order unless a test cuts a link or filters them.
import { Raft, type RaftConfig } from '../../lib/raft/index.js';
import {
  asIndex,
  asMemberId,
  asTerm,
  type Entry,
  type HardState,
  type MemberId,
  type Message,
  type Ready,
  type ReadState,
  type Snapshot,
} from '../../lib/raft/types.js';

export const id = (n: number): MemberId => asMemberId(n.toString(16).padStart(16, '0'));

/** Entries with the given terms starting at index `from`; data names index and term. */
export function entries(terms: readonly number[], from = 1): Entry[] {
  return terms.map((t, k) => ({
    term: asTerm(t),
    index: asIndex(from + k),
    type: 'normal' as const,
    data: Buffer.from(`${from + k}@${t}`),
  }));
}

export type NodeOptions = Partial<Omit<RaftConfig, 'id' | 'voters' | 'restore'>>;

export interface Stored {
  hardState: HardState | null;
  snapshot: Snapshot | null;
  entries: Entry[];
}

/** Data of a confChange entry in these tests. */
export const confChangeData = (type: 'add' | 'remove', member: MemberId): Buffer =>
  Buffer.from(JSON.stringify({ type, id: member }));

/** A deterministic stand-in for Math.random: the same sequence for every run. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class TestNode {
  raft: Raft;
  readonly stored: Stored;
  /** Every entry applied by this incarnation, in order. */
  applied: Entry[] = [];
  /** The state machine: data of the normal entries applied, restored from snapshots on install and restart. */
  state: string[] = [];
  readonly readStates: ReadState[] = [];
  readonly readies: Ready[] = [];

  constructor(
    readonly id: MemberId,
    readonly voters: readonly MemberId[],
    readonly opts: NodeOptions = {},
    stored?: Stored,
  ) {
    this.stored = stored ?? { hardState: null, snapshot: null, entries: [] };
    this.raft = this.start();
    this.state = this.restoredState();
  }

  private start(): Raft {
    const s = this.stored;
    const hasState = s.hardState !== null || s.snapshot !== null || s.entries.length > 0;
    return new Raft({
      id: this.id,
      voters: this.voters,
      electionTick: 10,
      heartbeatTick: 1,
      random: seededRandom(parseInt(this.id, 16)),
      preVote: false,
      checkQuorum: false,
      maxInflight: 256,
      maxMsgBytes: 1 << 20,
      ...this.opts,
      restore: hasState
        ? {
            hardState: s.hardState,
            snapshot: s.snapshot,
            entries: s.entries.filter((e) => e.index > (s.snapshot?.meta.index ?? 0)),
          }
        : undefined,
    });
  }

  /** Crash (losing nothing persisted) and start again from the stored state. */
  restart(): void {
    this.raft = this.start();
    this.applied = [];
    this.state = this.restoredState();
  }

  private restoredState(): string[] {
    const snap = this.stored.snapshot;
    return snap ? (JSON.parse(snap.data.toString()) as string[]) : [];
  }

  /** The snapshot a server would save now: the state machine at the applied index. */
  takeSnapshot(): Snapshot {
    const st = this.raft.status();
    return {
      meta: { index: st.applied, term: asTerm(this.raft.log.term(st.applied) as number), conf: { voters: st.voters } },
      data: Buffer.from(JSON.stringify(this.state)),
    };
  }

  /** Save a snapshot and compact the raft log behind it. */
  compact(keepEntries = 0): Snapshot {
    const snap = this.takeSnapshot();
    this.stored.snapshot = snap;
    this.raft.compact(snap, keepEntries);
    return snap;
  }

  /** One Ready cycle, the way the server runs it. Returns the messages to send, or null when nothing was ready. */
  handleReady(): Message[] | null {
    if (!this.raft.hasReady()) return null;
    const rd = this.raft.ready();
    this.readies.push(rd);
    const s = this.stored;
    if (rd.snapshot) {
      // A snapshot from the leader replaces the whole stored log.
      s.snapshot = rd.snapshot;
      s.entries = [];
      this.state = JSON.parse(rd.snapshot.data.toString()) as string[];
    }
    const head = rd.entries[0];
    if (head !== undefined) s.entries = s.entries.filter((e) => e.index < head.index).concat(rd.entries);
    if (rd.hardState) s.hardState = rd.hardState;
    for (const e of rd.committed) {
      this.applied.push(e);
      if (e.type === 'normal') this.state.push(e.data.toString());
      if (e.type === 'confChange') {
        const cc = JSON.parse(e.data.toString()) as { type: 'add' | 'remove'; id: MemberId };
        this.raft.applyConfChange(cc);
      }
    }
    this.readStates.push(...rd.readStates);
    this.raft.advance(rd);
    return [...rd.sendNow, ...rd.sendAfterSync];
  }

  /** Handles every Ready now pending; returns all messages. */
  drain(): Message[] {
    const out: Message[] = [];
    for (let msgs = this.handleReady(); msgs !== null; msgs = this.handleReady()) out.push(...msgs);
    return out;
  }

  /** The state machine's content, for comparing members. */
  appliedData(): string[] {
    return this.state;
  }

  /** The terms of the in-memory log from its first index on. */
  logTerms(): number[] {
    const log = this.raft.log;
    const out: number[] = [];
    for (let i = log.firstIndex(); i <= log.lastIndex(); i++) out.push(log.term(i) as number);
    return out;
  }
}

export class TestCluster {
  readonly nodes = new Map<MemberId, TestNode>();
  /** Links cut in one direction: `${from}>${to}`. */
  private readonly cut = new Set<string>();
  /** Return false to drop a message. */
  filter: (m: Message) => boolean = () => true;
  /** Every message delivered, in order. */
  readonly delivered: Message[] = [];

  constructor(size: number, opts: NodeOptions = {}) {
    const voters = Array.from({ length: size }, (_, k) => id(k + 1));
    for (const v of voters) this.nodes.set(v, new TestNode(v, voters, opts));
  }

  node(n: number | MemberId): TestNode {
    const key = typeof n === 'number' ? id(n) : n;
    const node = this.nodes.get(key);
    if (!node) throw new Error(`no node ${key}`);
    return node;
  }

  add(node: TestNode): void {
    this.nodes.set(node.id, node);
  }

  isolate(n: number): void {
    const me = id(n);
    for (const other of this.nodes.keys()) {
      if (other === me) continue;
      this.cut.add(`${me}>${other}`);
      this.cut.add(`${other}>${me}`);
    }
  }

  heal(): void {
    this.cut.clear();
    this.filter = () => true;
  }

  /** Handle Readies and deliver messages until nothing moves. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      const msgs: Message[] = [];
      for (const n of this.nodes.values()) msgs.push(...n.drain());
      if (msgs.length === 0) return;
      this.deliver(msgs);
    }
    throw new Error('cluster did not stabilize');
  }

  deliver(msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (this.cut.has(`${m.from}>${m.to}`) || !this.filter(m)) continue;
      const to = this.nodes.get(m.to);
      if (!to) continue;
      this.delivered.push(m);
      to.raft.step(m);
    }
  }

  tick(n: number, times = 1): void {
    for (let k = 0; k < times; k++) this.node(n).raft.tick();
  }

  /** Tick every node `times` times, stabilizing after each round of ticks. */
  tickAll(times: number): void {
    for (let k = 0; k < times; k++) {
      for (const node of this.nodes.values()) node.raft.tick();
      this.stabilize();
    }
  }

  /** Make node n campaign and let the election finish. */
  elect(n: number): void {
    this.node(n).raft.campaign();
    this.stabilize();
  }

  leaders(): TestNode[] {
    return [...this.nodes.values()].filter((x) => x.raft.status().role === 'leader');
  }

  propose(n: number, data: string): boolean {
    return this.node(n).raft.propose([{ type: 'normal', data: Buffer.from(data) }]);
  }
}
