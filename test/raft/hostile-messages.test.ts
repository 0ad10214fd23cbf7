// What a forged or corrupt message can do to a member: nothing beyond what the
// protocol allows an honest one. Bounds on terms and indexes, the transfer
// flag, TimeoutNow from strangers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asIndex, asTerm, MAX_TERM_LEAP, MAX_WIRE_INTEGER, NO_MEMBER, type Message } from '../../lib/raft/types.js';
import { id, TestCluster, TestNode } from './harness.js';

type VoteRequest = Extract<Message, { type: 'preVote' | 'vote' }>;
type VoteAnswer = Extract<Message, { type: 'preVoteResp' | 'voteResp' }>;

const vote = (from: number, to: number, term: number, extra: Partial<VoteRequest> = {}): Message => ({
  type: 'vote',
  from: id(from),
  to: id(to),
  term: asTerm(term),
  lastIndex: asIndex(1000),
  lastTerm: asTerm(term - 1),
  ...extra,
});

const leased = () => {
  const c = new TestCluster(3, { checkQuorum: true, preVote: true });
  c.elect(1);
  return c;
};

describe('raft against forged messages: numbers', () => {
  it('a term beyond what the codecs encode is dropped with a reason, and the term stays', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const f = c.node(2);
    const term = f.raft.currentTerm();
    const why = f.raft.step({
      type: 'heartbeat',
      from: id(3),
      to: id(2),
      term: asTerm(MAX_WIRE_INTEGER + 1),
      commit: asIndex(0),
      ctx: '',
    });
    assert.match(why ?? '', /term .* out of range/);
    assert.equal(f.raft.currentTerm(), term);
  });

  it('an index or commit beyond what the codecs encode is dropped with a reason naming the field', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const f = c.node(2);
    const term = asTerm(f.raft.currentTerm());
    const append: Message = {
      type: 'append',
      from: id(1),
      to: id(2),
      term,
      prevIndex: asIndex(0),
      prevTerm: asTerm(0),
      entries: [],
      commit: asIndex(MAX_WIRE_INTEGER + 1),
    };
    assert.match(f.raft.step(append) ?? '', /^commit /);
    assert.match(f.raft.step(vote(3, 2, term + 1, { lastIndex: asIndex(2 ** 53) })) ?? '', /^lastIndex /);
    assert.match(
      f.raft.step({
        type: 'appendResp',
        from: id(3),
        to: id(2),
        term,
        reject: true,
        index: asIndex(1),
        rejectHint: asIndex(-1),
        hintTerm: asTerm(0),
      }) ?? '',
      /^rejectHint /,
    );
  });

  it('a term more than MAX_TERM_LEAP ahead of the receiver is dropped with a reason', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const f = c.node(2);
    const term = f.raft.currentTerm();
    const why = f.raft.step({
      type: 'heartbeat',
      from: id(1),
      to: id(2),
      term: asTerm(term + MAX_TERM_LEAP + 1),
      commit: asIndex(0),
      ctx: '',
    });
    assert.match(why ?? '', /ahead of ours/);
    assert.equal(f.raft.currentTerm(), term);
  });

  it('a term exactly MAX_TERM_LEAP ahead is still taken', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const f = c.node(2);
    const term = f.raft.currentTerm() + MAX_TERM_LEAP;
    assert.equal(
      f.raft.step({ type: 'heartbeat', from: id(1), to: id(2), term: asTerm(term), commit: asIndex(0), ctx: '' }),
      null,
    );
    assert.equal(f.raft.currentTerm(), term);
  });

  it('a read context longer than any member makes is dropped', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const why = c
      .node(1)
      .raft.step({ type: 'readIndex', from: id(2), to: id(1), term: asTerm(0), ctx: 'x'.repeat(65) });
    assert.equal(why, 'bad ctx');
  });

  it('a member at the last encodable term does not campaign (nothing it could send)', () => {
    const n = new TestNode(
      id(1),
      [id(1)],
      {},
      {
        hardState: { term: asTerm(MAX_WIRE_INTEGER), vote: NO_MEMBER, commit: asIndex(0) },
        snapshot: null,
        entries: [],
      },
    );
    n.raft.campaign();
    assert.equal(n.raft.status().role, 'follower');
    assert.equal(n.raft.currentTerm(), MAX_WIRE_INTEGER);
  });
});

describe('raft against forged messages: the transfer flag', () => {
  it('a follower inside its leader lease ignores a vote flagged as a transfer', () => {
    const c = leased();
    const f = c.node(2);
    const term = f.raft.currentTerm();
    assert.equal(f.raft.step(vote(3, 2, term + 1, { transfer: true })), null);
    assert.deepEqual(f.drain(), []);
    assert.equal(f.raft.currentTerm(), term);
    assert.equal(f.raft.status().leader, id(1));
  });

  it('the leader ignores a transfer-flagged vote from a member it did not choose', () => {
    const c = leased();
    const l = c.node(1);
    c.isolate(2);
    l.raft.transferLeadership(id(2));
    const term = l.raft.currentTerm();
    l.raft.step(vote(3, 1, term + 1, { transfer: true }));
    assert.equal(l.raft.status().role, 'leader');
    assert.equal(l.raft.currentTerm(), term);
  });

  it('a forged transfer vote at term 2^53-2 sent to every member leaves the leader and its term in place', () => {
    const c = leased();
    const term = c.node(1).raft.currentTerm();
    for (const n of [1, 2, 3]) c.node(n).raft.step(vote(4, n, 2 ** 53 - 2, { transfer: true }));
    c.stabilize();
    for (const n of [1, 2, 3]) assert.equal(c.node(n).raft.currentTerm(), term);
    assert.equal(c.node(1).raft.status().role, 'leader');
    assert.equal(c.propose(1, 'still writing'), true);
    c.stabilize();
    assert.ok(c.node(3).appliedData().includes('still writing'));
  });

  it('a follower campaigns on TimeoutNow only when it comes from the leader it follows', () => {
    const c = leased();
    const f = c.node(2);
    const term = f.raft.currentTerm();
    f.raft.step({ type: 'timeoutNow', from: id(3), to: id(2), term: asTerm(term) });
    assert.deepEqual(f.drain(), []);
    assert.equal(f.raft.status().role, 'follower');
    assert.equal(f.raft.currentTerm(), term);
  });

  it('a follower whose leader it has seen removed holds no lease for it and grants an ordinary vote', () => {
    const c = leased();
    const f = c.node(2);
    const term = f.raft.currentTerm();
    f.raft.applyConfChange({ type: 'remove', id: id(1) });
    f.raft.step(vote(3, 2, term + 1));
    const answers = f.drain().filter((m) => m.type === 'voteResp');
    assert.deepEqual(
      answers.map((m) => (m as VoteAnswer).reject),
      [false],
    );
    assert.equal(f.raft.status().vote, id(3));
    assert.notEqual(f.raft.status().leader, id(1));
    assert.equal(f.raft.status().leader, NO_MEMBER);
  });
});
