// The shape of the Raft log as the WAL has written it: the last index, and the
// term of every entry since `base` as runs of equal terms (terms change
// rarely, so this stays a handful of numbers however long the log). The
// writer and the replayer run the same rules, so a segment's header
// firstIndex (the writer's last + 1 at roll time) is checkable on replay.

import { present } from '../assert.js';

export class LogTracker {
  /** Entries after base are known; at or before it they are in earlier segments or a snapshot. */
  base: number;
  last: number;
  private runStart: number[] = [];
  private runTerm: number[] = [];

  constructor(base: number) {
    this.base = base;
    this.last = base;
  }

  /** The index a new entry would leave a gap after, or null if index may follow the log. */
  gapBefore(index: number): number | null {
    return index > this.last + 1 ? this.last : null;
  }

  /** Appends (or, for index <= last, replaces the suffix from) one entry. Call gapBefore first. */
  append(index: number, term: number): void {
    if (index <= this.base) {
      this.base = index - 1;
      this.runStart.length = 0;
      this.runTerm.length = 0;
    } else {
      while (this.runStart.length > 0 && present(this.runStart.at(-1), 'runStart is not empty') >= index) {
        this.runStart.pop();
        this.runTerm.pop();
      }
    }
    this.last = index;
    if (this.runTerm.length === 0 || this.runTerm[this.runTerm.length - 1] !== term) {
      this.runStart.push(index);
      this.runTerm.push(term);
    }
  }

  /** The term of the entry at index, or undefined when it is not in (base, last]. */
  termAt(index: number): number | undefined {
    if (index <= this.base || index > this.last) return undefined;
    let lo = 0;
    let hi = this.runStart.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (present(this.runStart[mid], 'lo < mid <= hi < runStart.length') <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.runTerm[lo];
  }

  /**
   * Raft's rule when it restores a snapshot: a log that holds the snapshot's
   * last entry goes on; any other log restarts empty after the snapshot. An
   * index at or before base cannot be checked and is taken as held: Raft
   * only restores snapshots newer than its commit index, which is after base.
   */
  snapshotResetsLog(index: number, term: number): boolean {
    if (index > this.last) return true;
    const t = this.termAt(index);
    return t !== undefined && t !== term;
  }

  resetTo(index: number): void {
    this.base = index;
    this.last = index;
    this.runStart.length = 0;
    this.runTerm.length = 0;
  }
}
