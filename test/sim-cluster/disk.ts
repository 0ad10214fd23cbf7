// A simulated disk for one member: what was written, what of it was synced,
// and what a crash leaves. A crash keeps everything synced and, of what was
// written after the last sync, a random prefix of the records (a torn tail:
// the write-ahead log's recovery drops a half-written record, so a torn tail
// is a shorter prefix). An fsync may fail (then the member refuses writes).
// Recovery reads it back the way lib/storage does: the newest snapshot, the
// entries after it (a later write at an index replaces the entries from that
// index on), the last hard state, and the proposal id reservation.

import { type Entry, type HardState, type Index, type Snapshot, type SnapshotMeta } from '../../lib/raft/types.js';
import type { Scheduler } from '../../lib/runtime/index.js';
import type { SeededRandom } from '../../lib/runtime/index.js';
import type { IdReservation } from '../../lib/server/proposal-ids.js';
import type { LogStorage, SnapshotStorage } from '../../lib/server/ports.js';
import { StorageError } from '../../lib/storage/index.js';

type LogRecord =
  | { readonly kind: 'batch'; readonly entries: readonly Entry[]; readonly hardState: HardState | null }
  | { readonly kind: 'marker'; readonly meta: SnapshotMeta; readonly resetsLog: boolean };

export interface DiskFaults {
  /** Probability that an fsync fails. */
  readonly fsyncFailure: number;
  /** Virtual milliseconds an fsync takes: [min, max]. */
  readonly fsyncMs: readonly [number, number];
  /** A lying disk: flush resolves without syncing (the ack-before-fsync bug). */
  readonly lies: boolean;
}

export interface Recovered {
  readonly snapshot: Snapshot | null;
  readonly entries: Entry[];
  readonly hardState: HardState | null;
}

export class SimDisk {
  private records: LogRecord[] = [];
  /** records[0, synced) are durable. */
  private synced = 0;
  private snapshots: Snapshot[] = [];
  private idCounter: number | null = null;
  /** Bumped by a crash: writes and syncs of a dead process never land. */
  private epoch = 0;

  constructor(
    private readonly rng: SeededRandom,
    private readonly faults: DiskFaults,
    readonly trace: (line: () => string) => void,
  ) {}

  /** The records on the disk, one line each, with where the synced part ends. */
  describe(): string[] {
    const lines = this.records.map((r) =>
      r.kind === 'marker'
        ? `marker ${r.meta.index}/${r.meta.term}${r.resetsLog ? ' resets' : ''}`
        : describeBatch(r.entries, r.hardState),
    );
    lines.splice(this.synced, 0, '--- synced above ---');
    return [`snapshots: ${this.snapshots.map((x) => `${x.meta.index}/${x.meta.term}`).join(' ') || 'none'}`, ...lines];
  }

  /** Writes the bootstrap state durably (what a member's data dir holds when it first starts). */
  format(entries: readonly Entry[], hardState: HardState): void {
    this.records = [{ kind: 'batch', entries, hardState }];
    this.synced = 1;
  }

  /** The process died: unsynced writes are lost but for a random prefix (torn tail). */
  crash(): { lostRecords: number } {
    this.epoch++;
    const unsynced = this.records.length - this.synced;
    const kept = unsynced > 0 ? this.rng.below(unsynced + 1) : 0;
    this.records.length = this.synced + kept;
    this.synced = this.records.length;
    return { lostRecords: unsynced - kept };
  }

  /** A process of the member: its log, its snapshots and its id reservation on this disk. */
  open(
    scheduler: Scheduler,
    forgetIds: boolean,
  ): { log: LogStorage; snapshots: SnapshotStorage; ids: IdReservation; recovered: Recovered } {
    if (forgetIds) this.idCounter = null;
    return {
      log: new SimLog(this, scheduler, this.epoch),
      snapshots: new SimSnapshots(this, scheduler, this.epoch),
      ids: this.idReservation(),
      recovered: this.recover(),
    };
  }

  // ---- used by SimLog / SimSnapshots ----

  alive(epoch: number): boolean {
    return epoch === this.epoch;
  }

  write(r: LogRecord): void {
    this.records.push(r);
  }

  /** Marks everything written so far durable (an fsync that completed). */
  sync(upTo: number): void {
    this.synced = Math.max(this.synced, Math.min(upTo, this.records.length));
  }

  get written(): number {
    return this.records.length;
  }

  get faultsOf(): DiskFaults {
    return this.faults;
  }

  random(): SeededRandom {
    return this.rng;
  }

  saveSnapshot(s: Snapshot): void {
    this.snapshots.push(s);
    this.snapshots.sort((a, b) => a.meta.index - b.meta.index);
    while (this.snapshots.length > 3) this.snapshots.shift();
  }

  oldestSnapshot(): Index | null {
    return this.snapshots[0]?.meta.index ?? null;
  }

  /** What the log holds at index (everything written, synced or not): its term, or null. */
  termAt(index: Index): number | null {
    let term: number | null = null;
    for (const r of this.records) {
      if (r.kind === 'marker') {
        if (r.resetsLog) term = null;
        continue;
      }
      const first = r.entries[0];
      if (first === undefined || first.index > index) continue;
      const e = r.entries.find((x) => x.index === index);
      term = e ? e.term : null;
    }
    return term;
  }

  private idReservation(): IdReservation {
    return {
      load: (absent) => this.idCounter ?? absent,
      // A small synchronous write, durable at once (a CounterFile is fsynced and renamed).
      save: (next) => void (this.idCounter = next),
    };
  }

  /** The state recovery finds; allWritten also reads what is not synced yet (the live log's view). */
  recover(allWritten = false): Recovered {
    const snapshot = this.snapshots.at(-1) ?? null;
    const from = snapshot ? snapshot.meta.index : 0;
    let entries: Entry[] = [];
    let hardState: HardState | null = null;
    const end = allWritten ? this.records.length : this.synced;
    for (const r of this.records.slice(0, end)) {
      if (r.kind === 'marker') {
        if (r.resetsLog) entries = [];
        continue;
      }
      const first = r.entries[0];
      if (first !== undefined) entries = entries.filter((e) => e.index < first.index).concat(r.entries);
      if (r.hardState) hardState = r.hardState;
    }
    entries = entries.filter((e) => e.index > from);
    // A log that restarts after a leader's snapshot holds nothing before it; a gap means those entries are not ours to keep.
    const oldest = entries[0];
    if (oldest !== undefined && oldest.index !== from + 1) entries = [];
    return { snapshot, entries, hardState };
  }
}

class SimLog implements LogStorage {
  private closed = false;
  private failed = false;

  constructor(
    private readonly disk: SimDisk,
    private readonly scheduler: Scheduler,
    private readonly epoch: number,
  ) {}

  append(entries: readonly Entry[], hardState: HardState | null): void {
    this.check();
    if (entries.length === 0 && hardState === null) return;
    this.disk.write({ kind: 'batch', entries: [...entries], hardState });
    this.disk.trace(() => `  disk: write ${describeBatch(entries, hardState)}`);
  }

  flush(): Promise<void> {
    this.check();
    const faults = this.disk.faultsOf;
    const upTo = this.disk.written;
    if (faults.lies) return Promise.resolve();
    const rng = this.disk.random();
    const [min, max] = faults.fsyncMs;
    const ms = min + rng.below(max - min + 1);
    const fails = rng.chance(faults.fsyncFailure);
    return new Promise((resolve, reject) => {
      this.scheduler.after(ms, () => {
        if (!this.disk.alive(this.epoch)) return;
        if (fails) {
          this.failed = true;
          this.disk.trace(() => '  disk: fsync failed');
          reject(new StorageError('IO', 'simulated fsync failure', {}));
          return;
        }
        this.disk.sync(upTo);
        resolve();
      });
    });
  }

  markSnapshot(meta: SnapshotMeta): void {
    this.check();
    const term = this.disk.termAt(meta.index);
    const resetsLog = term === null || term !== meta.term;
    this.disk.write({ kind: 'marker', meta, resetsLog });
    // A marker is written with its own sync.
    this.disk.sync(this.disk.written);
    this.disk.trace(
      () => `  disk: snapshot marker ${meta.index}/${meta.term}${resetsLog ? ' (log restarts after it)' : ''}`,
    );
  }

  releaseTo(): void {}

  close(): void {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new Error('log is closed');
    if (this.failed) throw new StorageError('IO', 'the log failed earlier', {});
    if (!this.disk.alive(this.epoch)) throw new StorageError('IO', 'the process is dead', {});
  }
}

class SimSnapshots implements SnapshotStorage {
  constructor(
    private readonly disk: SimDisk,
    private readonly scheduler: Scheduler,
    private readonly epoch: number,
  ) {}

  save(s: Snapshot): Promise<string> {
    // Written to a temporary file, fsynced and renamed: it exists whole or not at all.
    return new Promise((resolve) => {
      this.scheduler.after(1 + this.disk.random().below(5), () => {
        if (!this.disk.alive(this.epoch)) return;
        this.disk.saveSnapshot(s);
        this.disk.trace(() => `  disk: snapshot saved at ${s.meta.index}/${s.meta.term}`);
        resolve(`snap-${s.meta.index}`);
      });
    });
  }

  oldestIndex(): Index | null {
    return this.disk.oldestSnapshot();
  }
}

function describeBatch(entries: readonly Entry[], hs: HardState | null): string {
  const parts: string[] = [];
  const first = entries[0];
  const last = entries.at(-1);
  if (first && last)
    parts.push(`entries ${first.index}..${last.index} (terms ${[...new Set(entries.map((e) => e.term))].join(',')})`);
  if (hs) parts.push(`hardState term=${hs.term} vote=${hs.vote || '-'} commit=${hs.commit}`);
  return parts.join(', ');
}
