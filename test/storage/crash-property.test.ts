// Property: whatever sequence of appends (with overwrites), rolls, snapshots,
// retention and crashes happens, a restart recovers a log that holds every
// acknowledged record and, beyond that, only a prefix of the one write the
// crash interrupted.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { asIndex, asTerm, type Entry, type HardState } from '../../lib/raft/types.js';
import { nodeFileIo, type FileIo } from '../../lib/storage/file-io.js';
import { Wal, type WalOptions } from '../../lib/storage/index.js';
import {
  dataDir,
  entry,
  hardState,
  lastSegment,
  plain,
  plainHardState,
  usedBytes,
  walOptions,
  zeroRange,
} from './helpers.js';
import { nth } from '../support/pick.js';

/** The log as Raft sees it: entries after base, contiguous. */
class ModelLog {
  constructor(
    public base = 0,
    public entries: Entry[] = [],
    public hardState: HardState | null = null,
  ) {}

  get last(): number {
    return this.base + this.entries.length;
  }

  termAt(i: number): number | undefined {
    return i > this.base && i <= this.last ? nth(this.entries, i - this.base - 1).term : undefined;
  }

  apply(r: Rec): void {
    if (r.kind === 'hardState') {
      this.hardState = r.hs;
    } else if (r.kind === 'entry') {
      const e = r.e;
      if (e.index <= this.base) {
        this.base = e.index - 1;
        this.entries = [];
      } else {
        this.entries.length = e.index - this.base - 1;
      }
      this.entries.push(e);
    } else if (r.resets) {
      this.base = r.index;
      this.entries = [];
    }
  }

  clone(): ModelLog {
    return new ModelLog(this.base, [...this.entries], this.hardState);
  }

  after(index: number) {
    return plain(this.entries.filter((e) => e.index > index));
  }
}

type Rec =
  | { kind: 'entry'; e: Entry }
  | { kind: 'hardState'; hs: HardState }
  | { kind: 'marker'; index: number; resets: boolean };

type Op =
  | {
      kind: 'append';
      back: number;
      count: number;
      size: number;
      withHardState: boolean;
      commitBy: number;
      newTerm: boolean;
    }
  | { kind: 'localSnapshot'; release: boolean }
  | { kind: 'receivedSnapshot'; ahead: number; sameTerm: boolean }
  | { kind: 'restart'; tear: Tear | null };

type Tear = { at: number; mode: 'zero' | 'truncate' | 'sectors'; sectorSeed: number };

const tearArb: fc.Arbitrary<Tear> = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  mode: fc.constantFrom('zero' as const, 'truncate' as const, 'sectors' as const),
  sectorSeed: fc.nat(),
});

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      back: fc.nat({ max: 4 }),
      count: fc.integer({ min: 1, max: 12 }),
      size: fc.nat({ max: 300 }),
      withHardState: fc.boolean(),
      commitBy: fc.nat({ max: 6 }),
      newTerm: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('localSnapshot' as const), release: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('receivedSnapshot' as const),
      ahead: fc.integer({ min: 1, max: 4 }),
      sameTerm: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('restart' as const), tear: fc.option(tearArb, { nil: null }) }),
  },
);

/** Damages the bytes of the last write [begin, end) the way a crash during it could. */
function tearLastWrite(file: string, begin: number, end: number, tear: Tear): void {
  const cut = begin + Math.floor(tear.at * (end - begin));
  if (tear.mode === 'zero') zeroRange(file, cut, end);
  else if (tear.mode === 'truncate') fs.truncateSync(file, cut);
  else {
    // Each sector the write touched independently reached the disk or not.
    let x = tear.sectorSeed;
    for (let s = Math.floor(begin / 512) * 512; s < end; s += 512) {
      x = (x * 1103515245 + 12345) % 2147483648;
      if ((x >>> 16) % 2 === 0) zeroRange(file, Math.max(s, begin), Math.min(s + 512, end));
    }
  }
}

function run(dir: string, ops: readonly Op[], opts: WalOptions): void {
  let wal = Wal.create(dir, opts);
  let model = new ModelLog();
  let term = 1;
  let commit = 0;
  let snapIndex = 0;
  // The last write: the model before it and the records it held, in order.
  let lastWrite: { before: ModelLog; records: Rec[]; begin: number; end: number } | null = null;

  const write = (records: Rec[], doIt: () => void) => {
    const before = model.clone();
    doIt();
    const end = usedBytes(dir);
    const begin = end - sizeOfLastWrite(wal);
    for (const r of records) model.apply(r);
    lastWrite = { before, records, begin, end };
  };

  const restart = (tear: Tear | null) => {
    wal.close();
    let candidates = [model];
    if (tear && lastWrite) {
      tearLastWrite(lastSegment(dir), lastWrite.begin, lastWrite.end, tear);
      candidates = [];
      const m = lastWrite.before.clone();
      candidates.push(m.clone());
      for (const r of lastWrite.records) {
        m.apply(r);
        candidates.push(m.clone());
      }
    }
    const { wal: reopened, recovered } = Wal.open(dir, asIndex(snapIndex), opts);
    wal = reopened;
    const got = plain(recovered.entries);
    const match = candidates.find(
      (c) =>
        JSON.stringify(c.after(snapIndex)) === JSON.stringify(got) &&
        JSON.stringify(plainHardState(c.hardState)) === JSON.stringify(plainHardState(recovered.hardState)),
    );
    assert.ok(
      match,
      `recovered log (${got.map((e) => `${e.index}@${e.term}`).join(' ')}) is not the acknowledged log plus a prefix of the torn write`,
    );
    model = match;
    // A snapshot beyond the log whose marker was torn away: open writes the marker again.
    if (model.last < snapIndex) model.apply({ kind: 'marker', index: snapIndex, resets: true });
    commit = Math.min(commit, Math.max(model.last, snapIndex));
    lastWrite = null;
  };

  for (const op of ops) {
    if (op.kind === 'append') {
      if (op.newTerm) term++;
      const start = Math.max(commit + 1, model.last + 1 - op.back, 1);
      const batch = Array.from({ length: op.count }, (_, k) => entry(start + k, term, op.size));
      const newLast = start + op.count - 1;
      commit = Math.min(newLast, commit + op.commitBy);
      const hs = op.withHardState ? hardState(term, commit) : null;
      const records: Rec[] = batch.map((e) => ({ kind: 'entry' as const, e }));
      if (hs) records.push({ kind: 'hardState', hs });
      write(records, () => wal.append(batch, hs));
    } else if (op.kind === 'localSnapshot') {
      if (commit <= snapIndex) continue;
      const t = model.termAt(commit);
      if (t === undefined) continue;
      const index = commit;
      write([{ kind: 'marker', index, resets: false }], () =>
        wal.markSnapshot({ index: asIndex(index), term: asTerm(t), conf: { voters: [] } }),
      );
      snapIndex = index;
      if (op.release) wal.releaseTo(asIndex(snapIndex));
    } else if (op.kind === 'receivedSnapshot') {
      const index = commit + op.ahead;
      const held = model.termAt(index);
      if (!op.sameTerm) term++;
      const t = op.sameTerm && held !== undefined ? held : term;
      const resets = held === undefined || held !== t;
      write([{ kind: 'marker', index, resets }], () =>
        wal.markSnapshot({ index: asIndex(index), term: asTerm(t), conf: { voters: [] } }),
      );
      snapIndex = index;
      commit = index;
    } else {
      restart(op.tear);
    }
  }
  restart(null);
  wal.close();
}

/** The byte count of the last batch, from the WAL's own counter. */
const sizes = new WeakMap<Wal, number>();
function sizeOfLastWrite(wal: Wal): number {
  const total = wal.stats().bytes;
  const prev = sizes.get(wal) ?? 0;
  sizes.set(wal, total);
  return total - prev;
}

// Crashes are simulated by damaging bytes, not by the kernel, so the property
// runs without fsync (which costs milliseconds per segment here).
const noSync: FileIo = { writeSync: nodeFileIo.writeSync, fdatasyncSync: () => {}, fsyncSync: () => {} };

test('recovered log is always the acknowledged log plus a prefix of the write a crash tore', (t) => {
  let runs = 0;
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.constantFrom(1, 2, 5), (ops, maxWals) => {
      const dir = dataDir(t);
      runs++;
      run(dir, ops, walOptions({ segmentSize: 4096, maxWals, io: noSync }));
      fs.rmSync(dir, { recursive: true, force: true });
    }),
    { numRuns: 120, seed: Number(process.env.KVD_PROPERTY_SEED ?? 20240501) },
  );
  assert.equal(runs >= 120, true);
});
