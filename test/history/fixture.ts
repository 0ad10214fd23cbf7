// A member's data dir written the way the member writes it (proposals in the
// log, each committed by a hard state, snapshots with their markers), its
// live state machine with a small in-memory event window, and a reference
// store that keeps every event in memory: what the log must reproduce.

import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { asIndex, asMemberId, asTerm, type Entry } from '../../lib/raft/types.js';
import { encodeProposal } from '../../lib/proposal/index.js';
import { historyCodec, StateMachine } from '../../lib/state/index.js';
import { SnapshotStore, Wal } from '../../lib/storage/index.js';
import { Store, V2Error, type StoreRequest } from '../../lib/store/index.js';
import { History, type HistoryOptions } from '../../lib/history/index.js';
import { dataDir, hardState, walOptions } from '../storage/helpers.js';
import { nth } from '../support/pick.js';

/** The member's replay worker module (lib/server's), as the server hands it to History. */
export const REPLAY_WORKER = import.meta.resolve('../../lib/server/history-worker.js');

export const T0 = Date.parse('2026-01-01T00:00:00Z');

export class LogFixture {
  readonly dir: string;
  readonly wal: Wal;
  readonly sm: StateMachine;
  /** Every event kept: the answers a watch from any index should get. */
  readonly reference = new Store({ historySize: 1_000_000 });
  /** What was applied, in order, with its time: to rebuild the tree at any index. */
  readonly applied: { req: StoreRequest; time: number }[] = [];
  raftIndex = 0;
  time = T0;
  private readonly snapshots: SnapshotStore;

  constructor(t: TestContext, liveWindow = 20, segmentSize = 16 * 1024) {
    this.dir = dataDir(t);
    this.wal = Wal.create(this.dir, walOptions({ segmentSize, maxWals: 1 }));
    this.sm = new StateMachine(new Store({ historySize: liveWindow }));
    this.snapshots = new SnapshotStore(this.dir, { maxSnapshots: 2 });
    t.after(() => this.wal.close());
  }

  /** Proposes, commits and applies one request `stepMs` after the previous one. */
  apply(req: StoreRequest, stepMs = 100): void {
    this.time += stepMs;
    const e: Entry = {
      index: asIndex(++this.raftIndex),
      term: asTerm(1),
      type: 'normal',
      data: encodeProposal({ origin: 'a', seq: 0, time: this.time, body: req }),
    };
    this.wal.append([e], hardState(1, e.index), false);
    this.sm.apply(e);
    try {
      this.reference.apply(req, this.time);
    } catch (err) {
      if (!(err instanceof V2Error)) throw err;
    }
    this.applied.push({ req, time: this.time });
  }

  async snapshot(): Promise<void> {
    const meta = {
      index: asIndex(this.raftIndex),
      term: asTerm(1),
      conf: { voters: [asMemberId('8e9e05c52164694d')] },
    };
    await this.snapshots.save({ meta, data: this.sm.snapshotData() });
    this.wal.markSnapshot(meta);
    const oldest = this.snapshots.oldestIndex();
    if (oldest !== null) this.wal.releaseTo(oldest);
  }

  history(opts: Partial<HistoryOptions> = {}): History {
    return new History({
      dataDir: this.dir,
      codec: historyCodec,
      store: () => this.sm.store,
      logger: pino({ level: 'silent' }),
      ...opts,
    });
  }

  /** The tree just after store index `index`, rebuilt from the requests in memory, and the time of its last request. */
  treeAt(index: number): { store: Store; time: number } {
    const s = new Store();
    s.stopExpiringAt(index);
    let time = T0;
    for (const a of this.applied) {
      if (s.index >= index) break;
      try {
        s.apply(a.req, a.time);
      } catch (err) {
        if (!(err instanceof V2Error)) throw err;
      }
      time = a.time;
    }
    return { store: s, time };
  }
}

/** A deterministic pseudo-random sequence (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const PATHS = ['/a', '/a/b', '/a/_h', '/a/b/c', '/a/_h/k', '/_x/y', '/d', '/d/e', '/q'];

/** One request of every kind the store knows, some of them bound to fail. */
export function randomRequest(rnd: () => number): StoreRequest {
  const pick = <T>(xs: readonly T[]): T => nth(xs, Math.floor(rnd() * xs.length));
  const path = pick(PATHS);
  const value = `v${Math.floor(rnd() * 3)}`;
  const ttl = rnd() < 0.2 ? 1 + Math.floor(rnd() * 3) : null;
  const put = { op: 'put', path, value, dir: false, ttl, refresh: false } as const;
  const del = { op: 'delete', path, dir: false, recursive: false } as const;
  switch (Math.floor(rnd() * 11)) {
    case 0:
      return { ...put, prevExist: false };
    case 1:
      return { ...put, prevExist: true };
    case 2:
      return { ...put, prevValue: pick(['v0', 'v1', 'v2']) };
    case 3:
      return { ...del, prevValue: pick(['v0', 'v1', 'v2']) };
    case 4:
      return del;
    case 5:
      return { ...del, recursive: true };
    case 6:
      return { op: 'post', path, value, dir: false, ttl };
    case 7:
      return { ...put, value: '', ttl: 2, refresh: true, prevExist: true };
    case 8:
      return { op: 'sync' };
    case 9:
      return { ...put, value: '', dir: true };
    default:
      return put;
  }
}
