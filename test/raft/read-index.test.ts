import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asIndex, asTerm, NO_MEMBER } from '../../lib/raft/types.js';
import { entries, id, TestCluster, TestNode } from './harness.js';

describe('raft ReadIndex', () => {
  it('the leader hands out a ReadState at its commit index once a heartbeat round reaches a quorum', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.propose(1, 'a');
    c.stabilize();
    const leader = c.node(1);
    const commit = leader.raft.status().commit;
    assert.equal(leader.raft.readIndex('r1'), true);
    const msgs = leader.drain();
    assert.equal(leader.readStates.length, 0, 'not before the quorum answered');
    const beats = msgs.filter((m) => m.type === 'heartbeat');
    assert.equal(beats.length, 2);
    c.deliver(beats.slice(0, 1));
    c.stabilize();
    assert.deepEqual(leader.readStates, [{ index: commit, ctx: 'r1' }]);
  });

  it('a new leader answers a read only after it has committed an entry of its own term', () => {
    const voters = [1, 2, 3];
    const mk = (n: number) =>
      new TestNode(
        id(n),
        voters.map(id),
        {},
        {
          hardState: { term: asTerm(1), vote: NO_MEMBER, commit: asIndex(1) },
          snapshot: null,
          entries: entries([1, 1]),
        },
      );
    const c = new TestCluster(0);
    for (const n of voters) c.add(mk(n));
    c.filter = (m) => m.type !== 'append';
    c.elect(1);
    const leader = c.node(1);
    assert.equal(leader.raft.status().role, 'leader');
    assert.equal(leader.raft.readIndex('early'), true);
    c.tick(1);
    c.stabilize();
    assert.deepEqual(leader.readStates, [], 'commit 1 may lag entry 2 that an earlier leader committed');
    c.heal();
    c.tick(1);
    c.stabilize();
    assert.deepEqual(leader.readStates, [{ index: 3, ctx: 'early' }]);
  });

  it('a follower forwards a read to the leader and receives the read point', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.propose(1, 'a');
    c.stabilize();
    assert.equal(c.node(2).raft.readIndex('f1'), true);
    c.stabilize();
    assert.deepEqual(c.node(2).readStates, [{ index: c.node(1).raft.status().commit, ctx: 'f1' }]);
  });

  it('a read without a known leader is refused', () => {
    const c = new TestCluster(3);
    assert.equal(c.node(2).raft.readIndex('x'), false);
  });

  it('a deposed leader cut off from the quorum never confirms a read', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.isolate(1);
    c.elect(2);
    c.propose(2, 'newer');
    c.stabilize();
    assert.equal(c.node(1).raft.readIndex('stale'), true);
    c.tick(1, 3);
    c.stabilize();
    assert.deepEqual(c.node(1).readStates, []);
    c.heal();
    c.tick(1);
    c.tick(2);
    c.stabilize();
    assert.equal(c.node(1).raft.status().role, 'follower');
    assert.deepEqual(c.node(1).readStates, [], 'its pending read died with its leadership');
  });

  it('reads requested before the same Ready share one heartbeat round', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const leader = c.node(1);
    leader.raft.readIndex('a');
    leader.raft.readIndex('b');
    const beats = leader.drain().filter((m) => m.type === 'heartbeat');
    assert.equal(beats.length, 2, 'one heartbeat per follower');
    c.deliver(beats);
    c.stabilize();
    assert.deepEqual(
      leader.readStates.map((r) => r.ctx),
      ['a', 'b'],
    );
  });

  it('a single-voter leader answers a read at once after its first commit', () => {
    const c = new TestCluster(1);
    c.elect(1);
    c.node(1).raft.readIndex('solo');
    c.stabilize();
    assert.deepEqual(c.node(1).readStates, [{ index: 1, ctx: 'solo' }]);
  });
});

describe('raft ReadIndex bounds', () => {
  it('a leader holds at most maxPendingReads requests; more are refused until a round completes', () => {
    const c = new TestCluster(3, { maxPendingReads: 2 });
    c.elect(1);
    const leader = c.node(1);
    c.isolate(2);
    c.isolate(3);
    assert.equal(leader.raft.readIndex('a'), true);
    leader.drain();
    assert.equal(leader.raft.readIndex('b'), true);
    assert.equal(leader.raft.readIndex('c'), false);
    leader.raft.step({ type: 'readIndex', from: id(2), to: id(1), term: asTerm(0), ctx: 'forwarded' });
    c.heal();
    c.tick(1);
    c.stabilize();
    assert.deepEqual(
      leader.readStates.map((r) => r.ctx),
      ['a', 'b'],
    );
    assert.deepEqual(c.node(2).readStates, [], 'the forwarded request past the limit was dropped');
    assert.equal(leader.raft.readIndex('d'), true);
  });
});
