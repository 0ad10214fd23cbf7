import { present } from '../assert.js';
import { RaftError } from './errors.js';
import type { Entry, Snapshot } from './types.js';

/** Bytes an entry costs in an append message besides its data (index, term and type on the wire). */
export const ENTRY_OVERHEAD_BYTES = 16;

export function entryBytes(e: Entry): number {
  return e.data.length + ENTRY_OVERHEAD_BYTES;
}

/** A read-only view of a member's log, for inspection (tests, status pages). */
export interface ReadonlyRaftLog {
  readonly committed: number;
  readonly applied: number;
  firstIndex(): number;
  lastIndex(): number;
  /** The term of the entry at i; undefined when i is compacted away or beyond the log. */
  term(i: number): number | undefined;
  entry(i: number): Entry | undefined;
}

/**
 * The in-memory log of one member: entries after a compaction point, what is
 * committed, applied, and not yet confirmed persisted by the driver.
 */
export class RaftLog implements ReadonlyRaftLog {
  /** ents[k] has index offset + 1 + k. */
  private ents: Entry[] = [];
  /** The index just before ents[0]: 0, a snapshot's index or a compaction point. */
  private offset = 0;
  private offsetTerm = 0;
  committed = 0;
  applied = 0;
  /** Entries from this index on have not been confirmed persisted (advance) yet. */
  private unstableFrom = 1;
  /** A snapshot received from a leader that the driver has not persisted yet. */
  pendingSnapshot: Snapshot | null = null;
  /** The newest snapshot, sent to followers that need entries compacted away. */
  snapshot: Snapshot | null = null;

  /** The log recovered from disk: everything given is already persisted. */
  static recover(snapshot: Snapshot | null, entries: readonly Entry[], commit: number): RaftLog {
    const log = new RaftLog();
    if (snapshot) {
      log.snapshot = snapshot;
      log.offset = snapshot.meta.index;
      log.offsetTerm = snapshot.meta.term;
      log.applied = snapshot.meta.index;
    }
    for (const e of entries) {
      if (e.index <= log.offset) continue;
      if (e.index !== log.lastIndex() + 1) {
        throw new RaftError('invalid-restore', `entry ${e.index} does not follow index ${log.lastIndex()}`);
      }
      log.ents.push(e);
    }
    if (commit > log.lastIndex()) {
      throw new RaftError('invalid-restore', `commit ${commit} is beyond the last stored entry ${log.lastIndex()}`);
    }
    log.committed = Math.max(commit, log.offset);
    log.unstableFrom = log.lastIndex() + 1;
    return log;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.ents.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) as number;
  }

  term(i: number): number | undefined {
    if (i === this.offset) return this.offsetTerm;
    if (i < this.offset || i > this.lastIndex()) return undefined;
    return present(this.ents[i - this.offset - 1], 'the log holds every index in (offset, lastIndex]').term;
  }

  entry(i: number): Entry | undefined {
    if (i <= this.offset || i > this.lastIndex()) return undefined;
    return this.ents[i - this.offset - 1];
  }

  /** Entries [lo, hi), at most maxBytes of them but at least one; undefined when lo is compacted away. */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] | undefined {
    if (lo <= this.offset) return undefined;
    hi = Math.min(hi, this.lastIndex() + 1);
    if (lo >= hi) return [];
    const from = lo - this.offset - 1;
    const to = hi - this.offset - 1;
    if (maxBytes === Infinity) return this.ents.slice(from, to);
    let bytes = entryBytes(present(this.ents[from], 'offset < lo < hi <= lastIndex + 1'));
    let end = from + 1;
    while (end < to) {
      bytes += entryBytes(present(this.ents[end], 'offset < lo < hi <= lastIndex + 1'));
      if (bytes > maxBytes) break;
      end++;
    }
    return this.ents.slice(from, end);
  }

  /** Raft's election restriction: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The last index <= index whose term is <= term: where a log whose entry at
   * index has that term can first agree with ours. Term 0 when compacted away.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; ; i--) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
  }

  /**
   * Follower side of an append: when the entry at prevIndex has prevTerm, keep
   * the entries that match, replace from the first conflict on, and commit up to
   * what is known to match the leader. Returns that last matching index, or
   * undefined when prevIndex does not match. Callers ensure prevIndex >= committed,
   * so a conflict never reaches a committed entry.
   */
  maybeAppend(prevIndex: number, prevTerm: number, commit: number, entries: readonly Entry[]): number | undefined {
    if (this.term(prevIndex) !== prevTerm) return undefined;
    const lastNew = prevIndex + entries.length;
    for (let k = 0; k < entries.length; k++) {
      const e = present(entries[k], 'k < entries.length');
      if (this.term(e.index) !== e.term) {
        this.append(k === 0 ? entries : entries.slice(k));
        break;
      }
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** Appends entries, replacing ours from entries[0].index on. entries[0].index is in (offset, lastIndex + 1]. */
  append(entries: readonly Entry[]): void {
    const head = entries[0];
    if (head === undefined) return;
    const first = head.index;
    if (first <= this.lastIndex()) {
      this.ents.length = first - this.offset - 1;
      this.unstableFrom = Math.min(this.unstableFrom, first);
    }
    for (const e of entries) this.ents.push(e);
  }

  commitTo(i: number): void {
    if (i > this.committed) this.committed = i;
  }

  appliedTo(i: number): void {
    if (i > this.applied) this.applied = i;
  }

  hasUnstable(): boolean {
    return this.unstableFrom <= this.lastIndex();
  }

  unstableEntries(): Entry[] {
    return this.ents.slice(this.unstableFrom - this.offset - 1);
  }

  /** The last index the driver has confirmed persisted. */
  stableIndex(): number {
    return this.unstableFrom - 1;
  }

  /**
   * The driver persisted entries up to (i, t). The term check discards a stale
   * confirmation: if the log was replaced after the Ready was handed out, the
   * entry at i differs and the replacement is still to be persisted.
   */
  stableTo(i: number, t: number): void {
    if (i >= this.unstableFrom && this.term(i) === t) this.unstableFrom = i + 1;
  }

  /** The first index to hand out for applying: after applied, and after a snapshot still to be installed. */
  private nextApplyIndex(): number {
    return Math.max(this.applied, this.pendingSnapshot ? this.pendingSnapshot.meta.index : 0) + 1;
  }

  hasNextCommitted(): boolean {
    return this.committed >= this.nextApplyIndex();
  }

  nextCommitted(): Entry[] {
    return this.slice(this.nextApplyIndex(), this.committed + 1) ?? [];
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  restore(s: Snapshot): void {
    this.ents = [];
    this.offset = s.meta.index;
    this.offsetTerm = s.meta.term;
    this.committed = s.meta.index;
    this.unstableFrom = s.meta.index + 1;
    this.pendingSnapshot = s;
    this.snapshot = s;
  }

  snapshotPersisted(s: Snapshot): void {
    if (this.pendingSnapshot === s) this.pendingSnapshot = null;
    this.appliedTo(s.meta.index);
  }

  /**
   * Keeps s for lagging followers and drops entries up to s.meta.index - keep,
   * never an entry that is unapplied or not yet persisted. Ignores a snapshot
   * beyond what is applied or older than the one kept.
   */
  compact(s: Snapshot, keep: number): void {
    if (s.meta.index > this.applied) return;
    if (this.snapshot && s.meta.index < this.snapshot.meta.index) return;
    this.snapshot = s;
    const cut = Math.min(s.meta.index - Math.max(0, keep), this.applied, this.stableIndex());
    if (cut <= this.offset) return;
    this.offsetTerm = this.term(cut) as number;
    this.ents = this.ents.slice(cut - this.offset);
    this.offset = cut;
  }
}
