import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENTRY_OVERHEAD_BYTES } from '../../lib/raft/index.js';
import { asIndex, asTerm, NO_MEMBER, type Message } from '../../lib/raft/types.js';
import { entries, id, TestCluster, TestNode, type NodeOptions } from './harness.js';
import { first } from '../support/pick.js';

type Append = Extract<Message, { type: 'append' }>;
const appendsTo = (msgs: readonly Message[], to: number) =>
  msgs.filter((m): m is Append => m.type === 'append' && m.to === id(to));

const ack = (from: number, to: number, term: number, index: number): Message => ({
  type: 'appendResp',
  from: id(from),
  to: id(to),
  term: asTerm(term),
  reject: false,
  index: asIndex(index),
  rejectHint: asIndex(0),
  hintTerm: asTerm(0),
});

/** A node restored with the given log terms and current term. */
function withLog(n: number, voters: number[], terms: number[], term: number, opts: NodeOptions = {}): TestNode {
  return new TestNode(id(n), voters.map(id), opts, {
    hardState: { term: asTerm(term), vote: NO_MEMBER, commit: asIndex(0) },
    snapshot: null,
    entries: entries(terms),
  });
}

/** Three members: 1 leads with the given log, 2 follows with its own, 3 mirrors the leader so it can vote for it. */
function clusterWithLogs(leaderLog: number[], followerLog: number[], leaderTerm: number): TestCluster {
  const c = new TestCluster(0);
  c.add(withLog(1, [1, 2, 3], leaderLog, leaderTerm));
  c.add(withLog(2, [1, 2, 3], followerLog, leaderTerm - 1));
  c.add(withLog(3, [1, 2, 3], leaderLog, leaderTerm - 1));
  return c;
}

describe('raft log replication', () => {
  // Raft paper figure 7: the leader of term 8 and six possible follower logs.
  const figure7Leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const figure7Followers: Record<string, number[]> = {
    'a (missing entries)': [1, 1, 1, 4, 4, 5, 5, 6, 6],
    'b (missing many entries)': [1, 1, 1, 4],
    'c (an extra uncommitted entry)': [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    'd (extra entries of a later term)': [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    'e (missing and extra entries)': [1, 1, 1, 4, 4, 4, 4],
    'f (a divergent history)': [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };
  for (const [name, followerLog] of Object.entries(figure7Followers)) {
    it(`figure 7 case ${name}: the new leader makes the follower's log identical to its own`, () => {
      const c = clusterWithLogs(figure7Leader, followerLog, 8);
      c.elect(1);
      assert.equal(c.node(1).raft.status().role, 'leader');
      const leaderTerms = c.node(1).logTerms();
      assert.deepEqual(leaderTerms, [...figure7Leader, 9]);
      assert.deepEqual(c.node(2).logTerms(), leaderTerms);
      assert.deepEqual(
        c.node(2).stored.entries.map((e) => e.term),
        leaderTerms,
        'the stored log was repaired too',
      );
      assert.equal(c.node(2).raft.status().commit, 11);
    });
  }

  it('figure 8: a leader does not commit an entry of an earlier term by counting replicas', () => {
    // Entry 2 (term 2) sits on the leader; the leader of term 4 must not commit it on a majority alone.
    const leader = withLog(1, [1, 2, 3], [1, 2], 3);
    leader.raft.campaign();
    leader.drain();
    const term = leader.raft.status().term;
    for (const v of [2, 3]) {
      leader.raft.step({ type: 'voteResp', from: id(v), to: id(1), term, reject: false });
    }
    assert.equal(leader.raft.status().role, 'leader');
    leader.drain();
    leader.raft.step(ack(2, 1, term, 2));
    leader.raft.step(ack(3, 1, term, 2));
    leader.drain();
    assert.equal(leader.raft.status().commit, 0, 'index 2 is on every member but is of term 2');
    leader.raft.step(ack(2, 1, term, 3));
    leader.drain();
    assert.equal(leader.raft.status().commit, 3, 'committing the new term entry commits everything before it');
  });

  it('the leader counts its own log toward commit only after advance() confirmed it persisted', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const leader = c.node(1).raft;
    const term = leader.status().term;
    leader.propose([{ type: 'normal', data: Buffer.from('x') }]);
    const rd = leader.ready();
    const index = first(rd.entries).index;
    leader.step(ack(2, 1, term, index));
    assert.equal(
      leader.status().commit,
      index - 1,
      'one follower alone is no quorum while the leader has not persisted',
    );
    leader.advance(rd);
    assert.equal(leader.status().commit, index);
  });

  it('a quorum of followers commits an entry the leader has not persisted yet (pipelining)', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const leader = c.node(1).raft;
    const term = leader.status().term;
    leader.propose([{ type: 'normal', data: Buffer.from('x') }]);
    const rd = leader.ready();
    const index = first(rd.entries).index;
    leader.step(ack(2, 1, term, index));
    leader.step(ack(3, 1, term, index));
    assert.equal(leader.status().commit, index);
    leader.advance(rd);
  });

  it('a diverged follower is repaired with one rejection per conflicting term, not per entry', () => {
    const c = clusterWithLogs(
      [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
      [1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
      3,
    );
    c.elect(1);
    const rejections = c.delivered.filter((m) => m.type === 'appendResp' && m.reject && m.from === id(2));
    assert.ok(rejections.length <= 2, `took ${rejections.length} rejections`);
    assert.deepEqual(c.node(2).logTerms(), c.node(1).logTerms());
  });

  it('flow control: at most maxInflight appends are unacknowledged per follower; acknowledgements open the window', () => {
    const c = new TestCluster(2, { maxInflight: 3, maxMsgBytes: 1 });
    c.elect(1);
    const leader = c.node(1);
    for (let k = 0; k < 10; k++) leader.raft.propose([{ type: 'normal', data: Buffer.from(`p${k}`) }]);
    const sent = appendsTo(leader.drain(), 2).filter((m) => m.entries.length > 0);
    assert.equal(sent.length, 3);
    assert.equal(leader.raft.status().progress[id(2)]?.inflight, 3);
    leader.raft.step(ack(2, 1, leader.raft.status().term, first(first(sent).entries).index));
    const more = appendsTo(leader.drain(), 2).filter((m) => m.entries.length > 0);
    assert.equal(more.length, 1, 'one acknowledgement frees one slot');
    assert.equal(more[0]?.prevIndex, sent[2]?.entries[0]?.index, 'pipelined after the last one sent');
  });

  it('batching: one append carries at most maxMsgBytes of entries, and at least one entry', () => {
    const maxMsgBytes = 3 * (ENTRY_OVERHEAD_BYTES + 10);
    const c = new TestCluster(2, { maxMsgBytes, maxInflight: 100 });
    c.elect(1);
    const leader = c.node(1);
    leader.raft.propose(Array.from({ length: 7 }, () => ({ type: 'normal' as const, data: Buffer.alloc(10) })));
    leader.raft.propose([{ type: 'normal', data: Buffer.alloc(maxMsgBytes * 2) }]);
    const sizes = appendsTo(leader.drain(), 2)
      .filter((m) => m.entries.length > 0)
      .map((m) => m.entries.length);
    assert.deepEqual(sizes, [3, 3, 1, 1]);
  });

  it('proposals on a follower are forwarded to the leader and committed everywhere', () => {
    const c = new TestCluster(3);
    c.elect(1);
    assert.equal(c.propose(2, 'from-follower'), true);
    c.stabilize();
    for (const n of c.nodes.values()) assert.deepEqual(n.appliedData(), ['from-follower']);
    const forwarded = c.delivered.filter((m) => m.type === 'propose');
    assert.deepEqual(
      forwarded.map((m) => [m.from, m.to]),
      [[id(2), id(1)]],
    );
  });

  it('a proposal without a known leader is refused; one with zero entries is a no-op', () => {
    const c = new TestCluster(3);
    assert.equal(c.propose(1, 'lost'), false);
    assert.equal(c.node(1).raft.propose([]), true);
    assert.equal(c.node(1).raft.hasReady(), false);
  });

  it('a heartbeat never lets a follower commit beyond what it is known to share with the leader', () => {
    const c = new TestCluster(0);
    c.add(withLog(1, [1, 2, 3], [1, 3], 3));
    c.add(withLog(2, [1, 2, 3], [1, 3], 3));
    c.add(withLog(3, [1, 2, 3], [1, 2], 2));
    c.filter = (m) => !(m.type === 'append' && m.to === id(3));
    c.elect(1);
    assert.equal(c.node(1).raft.status().commit, 3);
    c.tick(1);
    c.stabilize();
    assert.ok(c.delivered.some((m) => m.type === 'heartbeat' && m.to === id(3)));
    assert.equal(c.node(3).raft.status().commit, 0, "its entry 2 (term 2) differs from the leader's");
  });

  it('entries of a follower that were never committed are replaced by the leader', () => {
    const c = new TestCluster(3);
    c.elect(1);
    c.isolate(1);
    c.propose(1, 'orphan');
    c.stabilize();
    c.elect(2);
    c.propose(2, 'kept');
    c.stabilize();
    c.heal();
    c.tick(2);
    c.stabilize();
    for (const n of c.nodes.values()) assert.deepEqual(n.appliedData(), ['kept']);
  });
});
