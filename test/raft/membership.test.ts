import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confChangeData, id, TestCluster, TestNode } from './harness.js';
import { only } from '../support/pick.js';

const change = (type: 'add' | 'remove', n: number) => [
  { type: 'confChange' as const, data: confChangeData(type, id(n)) },
];

describe('raft membership changes', () => {
  it('adding a member: once applied, the leader replicates the whole log to it and counts it in the quorum', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.propose(1, 'before');
    c.stabilize();
    c.add(new TestNode(id(4), [id(1), id(2), id(3), id(4)]));
    assert.equal(c.node(1).raft.propose(change('add', 4)), true);
    c.stabilize();
    assert.deepEqual(c.node(1).raft.status().voters, [id(1), id(2), id(3), id(4)]);
    assert.deepEqual(c.node(4).appliedData(), ['before']);
    c.isolate(2);
    c.propose(1, 'needs 3 of 4');
    c.stabilize();
    assert.deepEqual(c.node(4).appliedData(), ['before', 'needs 3 of 4']);
    c.isolate(3);
    c.propose(1, 'no quorum');
    c.stabilize();
    assert.deepEqual(c.node(1).appliedData(), ['before', 'needs 3 of 4'], '2 of 4 is not a quorum');
  });

  it('removing a follower shrinks the quorum', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.node(1).raft.propose(change('remove', 3));
    c.stabilize();
    assert.deepEqual(c.node(1).raft.status().voters, [id(1), id(2)]);
    c.isolate(3);
    c.propose(1, 'two voters');
    c.stabilize();
    assert.deepEqual(c.node(2).appliedData(), ['two voters']);
  });

  it('a leader that applies its own removal steps down, and the remaining members elect a new leader', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.node(1).raft.propose(change('remove', 1));
    c.stabilize();
    const st = c.node(1).raft.status();
    assert.equal(st.role, 'follower');
    assert.deepEqual(st.voters, [id(2), id(3)]);
    c.tickAll(40);
    assert.notEqual(only(c.leaders(), 'one leader').id, id(1));
    assert.equal(c.node(1).raft.status().role, 'follower', 'a removed member never campaigns');
  });

  it('a leader removing itself tells a caught-up member to campaign at once, so no election timeout passes', () => {
    const c = new TestCluster(3, { preVote: true, checkQuorum: true });
    c.elect(1);
    c.node(1).raft.propose(change('remove', 1));
    c.stabilize();
    assert.ok(c.delivered.some((m) => m.type === 'timeoutNow' && m.from === id(1)));
    assert.notEqual(only(c.leaders(), 'one leader').id, id(1));
  });

  it('only one conf change may be pending at the leader at a time', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const leader = c.node(1).raft;
    assert.equal(leader.propose(change('remove', 3)), true);
    assert.equal(leader.propose(change('remove', 2)), false, 'the first is not applied yet');
    assert.equal(leader.propose([...change('add', 4), ...change('add', 5)]), false, 'two in one batch');
    c.stabilize();
    assert.equal(leader.propose(change('remove', 2)), true, 'accepted once the first is applied');
  });

  it('a new leader accepts no conf change until it has applied its whole inherited log', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.propose(1, 'x');
    const x = c.node(1).raft.status().lastIndex;
    // 2 receives x but never learns that it committed.
    c.filter = (m) => !(m.to === id(2) && (m.type === 'append' || m.type === 'heartbeat') && m.commit >= x);
    c.stabilize();
    c.filter = (m) => m.type !== 'appendResp';
    c.elect(2);
    assert.equal(c.node(2).raft.status().role, 'leader');
    assert.equal(c.node(2).raft.propose(change('remove', 3)), false);
    c.heal();
    c.tick(2);
    c.stabilize();
    assert.equal(c.node(2).raft.propose(change('remove', 3)), true);
  });

  it('applyConfChange is idempotent and reports the voters', () => {
    const c = new TestCluster(3);
    const r = c.node(1).raft;
    assert.deepEqual(r.applyConfChange({ type: 'add', id: id(2) }).voters, [id(1), id(2), id(3)]);
    assert.deepEqual(r.applyConfChange({ type: 'remove', id: id(7) }).voters, [id(1), id(2), id(3)]);
    assert.deepEqual(r.applyConfChange({ type: 'remove', id: id(2) }).voters, [id(1), id(3)]);
  });
});
