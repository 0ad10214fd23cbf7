// Safety invariants of Raft, checked by the simulation after every event.
import type { Raft } from '../../../lib/raft/index.js';
import type { Entry, HardState, MemberId, Message, ReadState, Snapshot } from '../../../lib/raft/types.js';

export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

/** What the checker needs of a simulated member. */
export interface Observed {
  readonly id: MemberId;
  readonly raft: Raft | null;
  /** Highest commit index already checked for this incarnation. */
  checkedCommit: number;
  /** What its driver has persisted. */
  readonly storage: { readonly snapshot: Snapshot | null; readonly entries: readonly Entry[] };
}

/** The state machine the simulation applies entries to: a hash chain over everything applied. */
export interface MachineState {
  readonly index: number;
  readonly term: number;
  readonly digest: number;
}

interface CommittedRecord {
  readonly term: number;
  readonly key: string;
  /** The highest leader term observed when this commit was first seen: it was committed in a term <= bound. */
  readonly bound: number;
}

export const entryKey = (e: Entry): string => `${e.type}:${e.data.toString('latin1')}`;

export function chain(digest: number, index: number, key: string): number {
  let h = digest ^ index;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** Has the member persisted entry `index` of `term`, or a snapshot covering it? */
function holdsDurably(n: Observed | undefined, index: number, term: number): boolean {
  if (!n) return false;
  if ((n.storage.snapshot?.meta.index ?? 0) >= index) return true;
  const es = n.storage.entries;
  // Stored entries are contiguous: find the slot directly.
  const oldest = es[0];
  const e = oldest === undefined ? undefined : es[index - oldest.index];
  return e?.index === index && e.term === term;
}

export class Checker {
  /** index → the entry committed there, as first observed anywhere. */
  private readonly committed: CommittedRecord[] = [];
  maxCommit = 0;
  private maxLeaderTerm = 0;
  private readonly leaderOfTerm = new Map<number, MemberId>();
  /** `${index}:${term}` → the entry and the term before it: one identity per (index, term) is log matching. */
  private readonly identity = new Map<string, { key: string; prevTerm: number }>();
  /** index → the state machine digest after applying it. */
  private readonly digestAt: number[] = [];
  private readonly reads = new Map<string, { node: MemberId; minIndex: number }>();
  readonly stats = { leaders: 0, readsServed: 0, applied: 0 };
  /** Set once an entry whose data starts with `markerPrefix` commits. */
  markerCommitted = false;

  constructor(private readonly markerPrefix: string) {}

  private fail(msg: string): never {
    throw new InvariantViolation(msg);
  }

  /** After every event: one leader per term, leader completeness, and committed entries never change. */
  afterEvent(nodes: ReadonlyMap<MemberId, Observed>): void {
    const live: Observed[] = [];
    for (const n of nodes.values()) if (n.raft) live.push(n);
    for (const n of live) {
      const st = (n.raft as Raft).status();
      if (st.role !== 'leader') continue;
      const known = this.leaderOfTerm.get(st.term);
      if (known === undefined) {
        this.leaderOfTerm.set(st.term, n.id);
        this.stats.leaders++;
        this.checkLeaderCompleteness(n, st.term);
        if (st.term > this.maxLeaderTerm) this.maxLeaderTerm = st.term;
      } else if (known !== n.id) {
        this.fail(`two leaders in term ${st.term}: ${known} and ${n.id}`);
      }
    }
    for (const n of live) this.checkCommits(n, nodes);
  }

  /** A new leader of term L holds every entry committed in a term below L. */
  private checkLeaderCompleteness(n: Observed, term: number): void {
    const log = (n.raft as Raft).log;
    for (let i = Math.max(log.firstIndex(), 1); i <= this.maxCommit; i++) {
      const rec = this.committed[i];
      if (!rec || rec.bound >= term) continue;
      const e = log.entry(i);
      if (!e || e.term !== rec.term || entryKey(e) !== rec.key) {
        this.fail(
          `leader ${n.id} of term ${term} lacks committed entry ${i} (term ${rec.term}); has ${e ? `term ${e.term}` : 'nothing'}`,
        );
      }
    }
  }

  private checkCommits(n: Observed, nodes: ReadonlyMap<MemberId, Observed>): void {
    const raft = n.raft as Raft;
    const log = raft.log;
    const c = log.committed;
    if (c > log.lastIndex()) this.fail(`${n.id} committed ${c} beyond its last index ${log.lastIndex()}`);
    if (c > n.checkedCommit) {
      const st = raft.status();
      if (st.role === 'leader') {
        // Raft §5.4.2: a leader moves its commit index only onto an entry of its own term...
        if (log.term(c) !== st.term) {
          this.fail(
            `leader ${n.id} of term ${st.term} committed entry ${c} of term ${log.term(c)} by counting replicas`,
          );
        }
        // ...and only once a quorum of voters has it on disk (its own copy included).
        const durable = st.voters.filter((v) => holdsDurably(nodes.get(v), c, st.term)).length;
        if (durable < Math.floor(st.voters.length / 2) + 1) {
          this.fail(
            `leader ${n.id} committed ${c} while only ${durable} of ${st.voters.length} voters have it on disk`,
          );
        }
      }
    }
    for (let i = Math.max(n.checkedCommit, log.firstIndex() - 1) + 1; i <= c; i++) {
      this.record(i, log.entry(i) as Entry, n.id);
    }
    if (c > n.checkedCommit) n.checkedCommit = c;
  }

  private record(i: number, e: Entry, by: MemberId): void {
    const key = entryKey(e);
    const rec = this.committed[i];
    if (!rec) {
      this.committed[i] = { term: e.term, key, bound: this.maxLeaderTerm };
      if (i > this.maxCommit) this.maxCommit = i;
      if (e.type === 'normal' && key.startsWith(`normal:${this.markerPrefix}`)) this.markerCommitted = true;
    } else if (rec.term !== e.term || rec.key !== key) {
      this.fail(
        `committed entry ${i} changed at ${by}: was term ${rec.term} ${rec.key.slice(0, 40)}, now term ${e.term} ${key.slice(0, 40)}`,
      );
    }
  }

  /** Entries a member is about to persist: (index, term) identifies the entry and its predecessor's term. */
  onPersist(n: Observed, entries: readonly Entry[]): void {
    const log = (n.raft as Raft).log;
    let prev: Entry | undefined;
    for (const e of entries) {
      if (prev !== undefined && e.index !== prev.index + 1)
        this.fail(`${n.id} got non-contiguous entries to persist at ${e.index}`);
      const prevTerm = prev === undefined ? log.term(e.index - 1) : prev.term;
      if (prevTerm === undefined) this.fail(`${n.id} persists entry ${e.index} after a gap`);
      if (prevTerm > e.term) this.fail(`${n.id} log terms decrease at ${e.index}`);
      const id = `${e.index}:${e.term}`;
      const key = entryKey(e);
      const known = this.identity.get(id);
      if (!known) this.identity.set(id, { key, prevTerm });
      else if (known.key !== key || known.prevTerm !== prevTerm) {
        this.fail(`log matching: two different entries at index ${e.index} term ${e.term} (at ${n.id})`);
      }
      prev = e;
    }
  }

  /**
   * What a member recovers from disk is one consistent log: each stored entry
   * follows the one before it as it did when it was first persisted.
   */
  onRecover(n: Observed, snapshot: Snapshot | null, entries: readonly Entry[]): void {
    let prevIndex = snapshot?.meta.index ?? 0;
    let prevTerm = snapshot?.meta.term ?? 0;
    for (const e of entries) {
      if (e.index <= prevIndex) continue;
      if (e.index !== prevIndex + 1) this.fail(`${n.id} recovers a gap before entry ${e.index}`);
      const known = this.identity.get(`${e.index}:${e.term}`);
      if (known && known.prevTerm !== prevTerm) {
        this.fail(
          `${n.id} recovers entry ${e.index} (term ${e.term}) after a term-${prevTerm} entry; it was written after term ${known.prevTerm}`,
        );
      }
      prevIndex = e.index;
      prevTerm = e.term;
    }
  }

  /**
   * Before a message leaves, what it promises is on disk: an acknowledged entry
   * (`ackTerm` is the term the member's log had at the acknowledged index when
   * the Ready was taken), and a granted vote.
   */
  onSend(
    n: Observed,
    m: Message,
    stored: { hardState: HardState | null; snapshot: Snapshot | null; entries: readonly Entry[] },
    ackTerm: number | undefined,
  ): void {
    // An acknowledgement generated before the member moved to a newer term may name entries that newer
    // leader replaced before they reached the disk: harmless, as a leader of that newer term exists, so
    // the old leader can no longer gather a quorum for them. Within one term, entries are never replaced.
    const movedOn = (stored.hardState?.term ?? 0) > m.term;
    if (m.type === 'appendResp' && !m.reject && !movedOn && m.index > (stored.snapshot?.meta.index ?? 0)) {
      const e = stored.entries.find((x) => x.index === m.index);
      if (!e || e.term !== ackTerm)
        this.fail(
          `${n.id} acknowledged entry ${m.index} (term ${ackTerm}) that is not on its disk (${e ? `term ${e.term}` : 'missing'})`,
        );
    }
    if (m.type === 'voteResp' && !m.reject) {
      const hs = stored.hardState;
      // A later term on disk also rules out a second vote in m.term.
      if (!hs || hs.term < m.term || (hs.term === m.term && hs.vote !== m.to))
        this.fail(`${n.id} granted its vote in term ${m.term} to ${m.to} before persisting it`);
    }
  }

  /** A member applies e on top of state s; returns the new state. Every member applies the same entry at each index. */
  onApply(n: Observed, s: MachineState, e: Entry): MachineState {
    if (e.index !== s.index + 1) this.fail(`${n.id} applied ${e.index} after ${s.index}`);
    this.record(e.index, e, n.id);
    const digest = chain(s.digest, e.index, entryKey(e));
    const known = this.digestAt[e.index];
    if (known === undefined) this.digestAt[e.index] = digest;
    else if (known !== digest) this.fail(`${n.id} state after applying ${e.index} differs from another member's`);
    this.stats.applied++;
    return { index: e.index, term: e.term, digest };
  }

  /** A state machine restored from a snapshot equals what was applied up to its index. */
  onRestore(n: Observed, s: MachineState): void {
    if (s.index === 0) return;
    const known = this.digestAt[s.index];
    if (known !== s.digest)
      this.fail(`${n.id} restored a snapshot at ${s.index} whose state was never applied anywhere`);
  }

  onReadRequested(ctx: string, node: MemberId): void {
    this.reads.set(ctx, { node, minIndex: this.maxCommit });
  }

  /** A read point is at least every index committed before the read was requested. */
  onReadState(n: Observed, rs: ReadState): void {
    const r = this.reads.get(rs.ctx);
    if (!r) this.fail(`${n.id} got a ReadState for unknown ctx ${rs.ctx}`);
    if (r.node !== n.id) this.fail(`ReadState ${rs.ctx} requested at ${r.node} surfaced at ${n.id}`);
    if (rs.index < r.minIndex) {
      this.fail(
        `stale read ${rs.ctx} at ${n.id}: index ${rs.index} but ${r.minIndex} was committed before the request`,
      );
    }
    this.stats.readsServed++;
  }
}
