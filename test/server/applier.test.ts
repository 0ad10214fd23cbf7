import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AssertionFailure } from '../../lib/assert.js';
import { Metrics } from '../../lib/metrics/index.js';
import { Raft } from '../../lib/raft/index.js';
import { asIndex, asMemberId, asTerm, type Entry, type Snapshot } from '../../lib/raft/types.js';
import { SeededRandom, VirtualTime } from '../../lib/runtime/index.js';
import { Applier } from '../../lib/server/applier.js';
import { encodeMembershipChange, encodeProposal } from '../../lib/proposal/index.js';
import { StateMachine, type ApplyResult } from '../../lib/state/index.js';
import type { Event } from '../../lib/store/index.js';
import { MemorySnapshots, quietLogger, RecordingTransport, settle, type Step } from './parts.js';

const self = asMemberId('000000000000000a');
const other = asMemberId('000000000000000b');
const metrics = new Metrics();

function applier(opts: { snapshotCount?: number; applied?: number } = {}) {
  const steps: Step[] = [];
  const time = new VirtualTime();
  const random = new SeededRandom(1);
  const sm = new StateMachine();
  const raft = new Raft({
    id: self,
    voters: [self],
    electionTick: 10,
    heartbeatTick: 1,
    random: () => random.next(),
    preVote: false,
    checkQuorum: false,
    maxInflight: 8,
    maxMsgBytes: 1 << 20,
  });
  const transport = new RecordingTransport(steps);
  const snapshots = new MemorySnapshots(steps);
  const settled: [number, ApplyResult][] = [];
  const appliedUpTo: number[] = [];
  const compacted: number[] = [];
  let removed = 0;
  const a = new Applier({
    self,
    sm,
    applied: asIndex(opts.applied ?? 0),
    appliedTerm: asTerm(0),
    snapshotCount: opts.snapshotCount ?? 10_000,
    dataDir: '/data',
    raft,
    transport,
    runtime: { clock: time, scheduler: time, random },
    logger: quietLogger,
    metrics,
    settle: (seq, result) => settled.push([seq, result]),
    onApplied: (i) => appliedUpTo.push(i),
    onSyncApplied: () => {},
    onRemovedSelf: () => removed++,
    compactTo: async (s) => {
      compacted.push(s.meta.index);
      return true;
    },
    saveSnapshot: (s) => snapshots.save(s),
  });
  return { a, sm, time, transport, snapshots, settled, appliedUpTo, compacted, removed: () => removed };
}

const put = (index: number, path: string, value: string, origin = self, seq = 0): Entry => ({
  term: asTerm(1),
  index: asIndex(index),
  type: 'normal',
  data: encodeProposal({
    origin,
    seq,
    time: 1_700_000_000_000,
    body: { op: 'put', path, value, dir: false, ttl: null, refresh: false },
  }),
});

describe('the applier', () => {
  it('applies committed entries to the tree in log order and answers only the requests of this member', () => {
    const t = applier();
    t.a.apply([put(1, '/a', 'one', self, 7), put(2, '/b', 'two', other, 8)]);
    assert.equal(t.sm.store.get('/a', false, false, 0).node.value, 'one');
    assert.equal(t.sm.store.get('/b', false, false, 0).node.value, 'two');
    assert.deepEqual(
      t.settled.map(([seq, r]) => [seq, (r as Event).node.value]),
      [[7, 'one']],
    );
    assert.equal(t.a.applied, 2);
    assert.deepEqual(t.appliedUpTo, [2]);
  });

  it('skips entries it has already applied (replayed at start)', () => {
    const t = applier({ applied: 1 });
    t.a.apply([put(1, '/a', 'old'), put(2, '/a', 'new')]);
    assert.equal(t.sm.store.get('/a', false, false, 0).node.value, 'new');
    assert.equal(t.sm.store.index, 1, 'one mutation: the entry at index 1 was skipped');
  });

  it('refuses an entry that skips ahead of the applied index (a broken invariant)', () => {
    const t = applier();
    t.a.apply([put(1, '/a', 'one')]);
    assert.throws(
      () => t.a.apply([put(3, '/a', 'three')]),
      (e: unknown) => e instanceof AssertionFailure && /out of order/.test(e.message),
    );
  });

  it('refuses a snapshot from the leader that is not newer than what it applied', () => {
    const t = applier();
    t.a.apply([put(1, '/a', 'one'), put(2, '/b', 'two')]);
    const stale: Snapshot = {
      meta: { index: asIndex(2), term: asTerm(1), conf: { voters: [self] } },
      data: new StateMachine().snapshotData(),
    };
    assert.throws(
      () => t.a.restore(stale),
      (e: unknown) => e instanceof AssertionFailure && /not newer than applied/.test(e.message),
    );
  });

  it('a snapshot from the leader replaces the tree, moves the applied index and ends the open watches', () => {
    const t = applier();
    const leaderState = new StateMachine();
    leaderState.apply(put(1, '/from-leader', 'x'));
    let ended = 0;
    const store = t.sm.store;
    t.a.endOnRestore(
      store.watch('/', { recursive: true, stream: true, sinceIndex: null }, () => {}),
      () => ended++,
    );
    t.a.restore({
      meta: { index: asIndex(40), term: asTerm(3), conf: { voters: [self] } },
      data: leaderState.snapshotData(),
    });
    assert.equal(t.sm.store.get('/from-leader', false, false, 0).node.value, 'x');
    assert.equal(t.a.applied, 40);
    assert.equal(ended, 1);
  });

  it('saves a snapshot of its own every snapshot-count entries and has the log cut at it', async () => {
    const t = applier({ snapshotCount: 3 });
    t.a.apply([put(1, '/a', '1'), put(2, '/a', '2')]);
    t.a.maybeSnapshot();
    t.time.advance(0);
    await settle();
    assert.equal(t.snapshots.saved.length, 0, 'no snapshot before snapshot-count entries');
    t.a.apply([put(3, '/a', '3')]);
    t.a.maybeSnapshot();
    for (let i = 0; i < 5; i++) {
      t.time.advance(0);
      await settle();
    }
    assert.deepEqual(
      t.snapshots.saved.map((s) => s.meta.index),
      [3],
    );
    assert.deepEqual(t.compacted, [3]);
    assert.equal(
      StateMachine.fromSnapshotData(t.snapshots.saved[0]?.data ?? Buffer.alloc(0)).store.get('/a', false, false, 0).node
        .value,
      '3',
    );
  });

  it('a committed member addition reaches the transport; the removal of this member is reported', () => {
    const t = applier();
    const change = (index: number, type: 'add' | 'remove', id: string): Entry => ({
      term: asTerm(1),
      index: asIndex(index),
      type: 'confChange',
      data: encodeMembershipChange({
        type,
        id,
        name: '',
        peerURLs: type === 'add' ? [`http://10.0.0.${index}:2380`] : [],
        origin: '',
        seq: 0,
      }),
    });
    t.a.apply([change(1, 'add', self), change(2, 'add', other)]);
    assert.deepEqual([...t.transport.peers.keys()], [other]);
    t.a.apply([change(3, 'remove', self)]);
    assert.equal(t.removed(), 1);
  });
});
