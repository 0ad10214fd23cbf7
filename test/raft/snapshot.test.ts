import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Raft } from '../../lib/raft/index.js';
import { asIndex, asTerm, NO_MEMBER } from '../../lib/raft/types.js';
import { entries, id, TestCluster, TestNode } from './harness.js';
import { only } from '../support/pick.js';

/** A three-member cluster led by 1, where 3 missed `count` proposals that the leader then compacted away. */
function laggingFollowerBehindCompaction(count: number, opts = {}): TestCluster {
  const c = new TestCluster(3, opts);
  c.elect(1);
  c.isolate(3);
  for (let k = 0; k < count; k++) c.propose(1, `v${k}`);
  c.stabilize();
  c.node(1).compact(0);
  c.heal();
  return c;
}

describe('raft snapshots', () => {
  it('a follower that needs compacted entries receives the snapshot, installs it and catches up', () => {
    const c = laggingFollowerBehindCompaction(5);
    const snapIndex = c.node(1).stored.snapshot?.meta.index;
    c.propose(1, 'after');
    c.stabilize();
    c.tick(1);
    c.stabilize();
    const f = c.node(3);
    const installed = f.readies.filter((rd) => rd.snapshot !== null);
    assert.equal(only(installed).snapshot?.meta.index, snapIndex);
    assert.equal(f.raft.status().firstIndex, (snapIndex as number) + 1, 'its log restarts after the snapshot');
    assert.deepEqual(f.appliedData(), c.node(1).appliedData());
    assert.deepEqual(f.appliedData(), ['v0', 'v1', 'v2', 'v3', 'v4', 'after']);
    assert.equal(c.node(1).raft.status().progress[id(3)]?.state, 'replicate');
  });

  it('the Ready that carries a snapshot names the snapshot as applied once advanced', () => {
    const c = laggingFollowerBehindCompaction(3);
    c.tick(1);
    c.stabilize();
    const f = c.node(3);
    const snap = f.stored.snapshot;
    assert.ok(snap);
    assert.equal(f.raft.status().applied, snap.meta.index);
    assert.equal(f.raft.status().commit, snap.meta.index);
  });

  it("a follower that installs a snapshot adopts the snapshot's voters", () => {
    const f = new TestNode(id(2), [id(1), id(2)]);
    f.raft.step({
      type: 'snapshot',
      from: id(1),
      to: id(2),
      term: asTerm(3),
      snapshot: {
        meta: { index: asIndex(9), term: asTerm(3), conf: { voters: [id(1), id(2), id(4)] } },
        data: Buffer.from('[]'),
      },
    });
    assert.deepEqual(f.raft.status().voters, [id(1), id(2), id(4)]);
    assert.equal(f.raft.ready().snapshot?.meta.index, 9);
  });

  it('a follower whose log already holds the snapshot point commits up to it instead of discarding its log', () => {
    const f = new TestNode(
      id(2),
      [id(1), id(2)],
      {},
      {
        hardState: { term: asTerm(2), vote: NO_MEMBER, commit: asIndex(1) },
        snapshot: null,
        entries: entries([1, 2, 2, 2]),
      },
    );
    f.raft.step({
      type: 'snapshot',
      from: id(1),
      to: id(2),
      term: asTerm(2),
      snapshot: {
        meta: { index: asIndex(3), term: asTerm(2), conf: { voters: [id(1), id(2)] } },
        data: Buffer.from('[]'),
      },
    });
    const rd = f.raft.ready();
    assert.equal(rd.snapshot, null);
    assert.equal(rd.hardState?.commit, 3);
    assert.equal(f.raft.status().lastIndex, 4, 'entry 4 is kept');
  });

  it('a stale snapshot (at or below the commit index) is answered with the commit index and ignored', () => {
    const f = new TestNode(
      id(2),
      [id(1), id(2)],
      {},
      {
        hardState: { term: asTerm(2), vote: NO_MEMBER, commit: asIndex(3) },
        snapshot: null,
        entries: entries([1, 2, 2]),
      },
    );
    f.raft.step({
      type: 'snapshot',
      from: id(1),
      to: id(2),
      term: asTerm(2),
      snapshot: {
        meta: { index: asIndex(2), term: asTerm(2), conf: { voters: [id(1), id(2)] } },
        data: Buffer.from('[]'),
      },
    });
    const rd = f.raft.ready();
    assert.equal(rd.snapshot, null);
    assert.deepEqual(
      [...rd.sendNow, ...rd.sendAfterSync].map((m) => m.type === 'appendResp' && [m.reject, m.index]),
      [[false, 3]],
    );
  });

  it('a restart from a snapshot sets applied to the snapshot index and hands out the committed entries after it', () => {
    const snap = {
      meta: { index: asIndex(2), term: asTerm(1), conf: { voters: [id(1), id(2), id(3)] } },
      data: Buffer.from('["a","b"]'),
    };
    const n = new TestNode(
      id(1),
      [id(9)],
      {},
      {
        hardState: { term: asTerm(1), vote: NO_MEMBER, commit: asIndex(4) },
        snapshot: snap,
        entries: entries([1, 1, 1, 1, 1]),
      },
    );
    const st = n.raft.status();
    assert.equal(st.applied, 2);
    assert.equal(st.firstIndex, 3);
    assert.deepEqual(st.voters, [id(1), id(2), id(3)], "the snapshot's conf wins over `voters`");
    const rd = n.raft.ready();
    assert.deepEqual(
      rd.committed.map((e) => e.index),
      [3, 4],
    );
    assert.equal(rd.entries.length, 0, 'recovered entries are already persisted');
    assert.equal(rd.hardState, null);
  });

  it("a restart with the conf the server derived uses it over the snapshot's", () => {
    const snap = {
      meta: { index: asIndex(2), term: asTerm(1), conf: { voters: [id(1), id(2)] } },
      data: Buffer.from('[]'),
    };
    const r = new TestNode(id(1), [id(1)], {}, { hardState: null, snapshot: snap, entries: [] }).raft;
    assert.deepEqual(r.status().voters, [id(1), id(2)]);
    const withConf = new Raft({
      id: id(1),
      voters: [id(1)],
      electionTick: 10,
      heartbeatTick: 1,
      random: () => 0,
      preVote: true,
      checkQuorum: true,
      maxInflight: 4,
      maxMsgBytes: 1024,
      restore: { hardState: null, snapshot: snap, entries: [], conf: { voters: [id(1), id(2), id(3)] } },
    });
    assert.deepEqual(withConf.status().voters, [id(1), id(2), id(3)]);
  });

  it('a failed snapshot send returns the follower to probing, and the leader retries', () => {
    const c = laggingFollowerBehindCompaction(3);
    c.filter = (m) => m.type !== 'snapshot';
    c.tick(1);
    c.stabilize();
    const leader = c.node(1).raft;
    assert.equal(leader.status().progress[id(3)]?.state, 'snapshot');
    leader.reportSnapshot(id(3), false);
    assert.equal(leader.status().progress[id(3)]?.state, 'probe');
    c.heal();
    c.tick(1);
    c.stabilize();
    c.tick(1);
    c.stabilize();
    assert.equal(leader.status().progress[id(3)]?.state, 'replicate');
    assert.deepEqual(c.node(3).appliedData(), c.node(1).appliedData());
  });

  it('compaction keeps the requested number of entries behind the snapshot, and never unapplied ones', () => {
    const c = new TestCluster(1);
    c.elect(1);
    for (let k = 0; k < 10; k++) c.propose(1, `v${k}`);
    c.stabilize();
    const n = c.node(1);
    const applied = n.raft.status().applied;
    n.compact(4);
    assert.equal(n.raft.status().firstIndex, applied - 4 + 1);
    n.raft.compact(
      { meta: { index: asIndex(applied + 5), term: asTerm(1), conf: { voters: [id(1)] } }, data: Buffer.alloc(0) },
      0,
    );
    assert.equal(n.raft.status().firstIndex, applied - 4 + 1, 'a snapshot beyond applied is ignored');
  });
});
