import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { id, TestCluster } from './harness.js';

describe('raft leader transfer', () => {
  it('an up-to-date target is told to campaign at once and becomes leader, even inside leader leases', () => {
    const c = new TestCluster(3, { checkQuorum: true, preVote: true });
    c.elect(1);
    c.node(1).raft.transferLeadership(id(2));
    c.stabilize();
    assert.equal(c.node(2).raft.status().role, 'leader');
    assert.equal(c.node(1).raft.status().role, 'follower');
    assert.ok(c.delivered.some((m) => m.type === 'timeoutNow' && m.to === id(2)));
  });

  it('a lagging target is caught up first, then told to campaign', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.isolate(3);
    c.propose(1, 'a');
    c.propose(1, 'b');
    c.stabilize();
    c.heal();
    c.node(1).raft.transferLeadership(id(3));
    c.stabilize();
    assert.equal(c.node(3).raft.status().role, 'leader');
    assert.deepEqual(c.node(3).appliedData().slice(0, 2), ['a', 'b']);
    const timeoutAt = c.delivered.findIndex((m) => m.type === 'timeoutNow');
    const lastAppendToTarget = c.delivered.findLastIndex(
      (m) => m.type === 'append' && m.to === id(3) && m.from === id(1),
    );
    assert.ok(lastAppendToTarget < timeoutAt, 'the catch-up came before the timeoutNow');
  });

  it('the leader refuses proposals while a transfer is in progress', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.isolate(2);
    c.node(1).raft.transferLeadership(id(2));
    assert.equal(c.propose(1, 'refused'), false);
    assert.equal(c.node(1).raft.status().leadTransferee, id(2));
  });

  it('a transfer to an unreachable target is aborted after an election timeout and proposals resume', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.isolate(2);
    c.node(1).raft.transferLeadership(id(2));
    c.tick(1, 10);
    c.stabilize();
    assert.equal(c.node(1).raft.status().role, 'leader');
    assert.equal(c.node(1).raft.status().leadTransferee, '');
    assert.equal(c.propose(1, 'accepted'), true);
  });

  it('transferLeadership on a follower or to a non-member does nothing', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.node(2).raft.transferLeadership(id(3));
    c.node(1).raft.transferLeadership(id(9));
    c.stabilize();
    assert.equal(c.node(1).raft.status().role, 'leader');
    assert.equal(c.node(1).raft.status().leadTransferee, '');
  });
});
