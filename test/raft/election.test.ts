import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Raft } from '../../lib/raft/index.js';
import { asIndex, asTerm, NO_MEMBER, type Message } from '../../lib/raft/types.js';
import { entries, id, seededRandom, TestCluster, TestNode } from './harness.js';
import { only } from '../support/pick.js';

const voteFrom = (from: number, to: number, term: number, lastIndex: number, lastTerm: number): Message => ({
  type: 'vote',
  from: id(from),
  to: id(to),
  term: asTerm(term),
  lastIndex: asIndex(lastIndex),
  lastTerm: asTerm(lastTerm),
});

const answers = (msgs: readonly Message[], type: Message['type']) =>
  msgs.filter((m) => m.type === type) as Extract<Message, { type: 'preVoteResp' | 'voteResp' }>[];

describe('raft elections', () => {
  it('a follower campaigns after its randomized election timeout and wins with a majority', () => {
    const c = new TestCluster(3);
    c.tickAll(20);
    const leader = only(c.leaders(), 'one leader');
    const term = leader.raft.status().term;
    for (const n of c.nodes.values()) {
      assert.equal(n.raft.status().leader, leader.id);
      assert.equal(n.raft.status().term, term);
    }
  });

  it('draws the election timeout from [electionTick, 2*electionTick)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = new Raft({
        id: id(1),
        voters: [id(1), id(2), id(3)],
        electionTick: 10,
        heartbeatTick: 1,
        random: seededRandom(seed),
        preVote: false,
        checkQuorum: false,
        maxInflight: 4,
        maxMsgBytes: 1024,
      });
      let ticks = 0;
      while (r.status().role === 'follower' && ticks < 100) {
        r.tick();
        ticks++;
      }
      assert.ok(ticks >= 10 && ticks < 20, `seed ${seed}: campaigned after ${ticks} ticks`);
    }
  });

  it('a single voter becomes leader on campaign() and commits after advance() without messages', () => {
    const n = new TestNode(id(1), [id(1)]);
    n.raft.campaign();
    assert.equal(n.raft.status().role, 'leader');
    const rd1 = n.raft.ready();
    assert.equal(only(rd1.entries).type, 'empty');
    assert.equal(rd1.committed.length, 0, 'nothing commits before the leader persisted it');
    assert.equal(rd1.sendNow.length + rd1.sendAfterSync.length, 0);
    n.raft.advance(rd1);
    assert.equal(n.raft.status().commit, 1);
    const rd2 = n.raft.ready();
    assert.deepEqual(
      rd2.committed.map((e) => e.index),
      [1],
    );
    assert.equal(rd2.sendNow.length + rd2.sendAfterSync.length, 0);
  });

  it('a stale leader steps down when it hears a higher term', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const oldTerm = c.node(1).raft.status().term;
    c.isolate(1);
    c.elect(2);
    assert.equal(c.node(2).raft.status().role, 'leader');
    assert.equal(c.node(1).raft.status().role, 'leader', 'the isolated leader does not know yet');
    c.heal();
    c.tick(2);
    c.stabilize();
    const st = c.node(1).raft.status();
    assert.equal(st.role, 'follower');
    assert.ok(st.term > oldTerm);
    assert.equal(st.leader, id(2));
  });

  it('a voter rejects a candidate whose log is less up to date (lower last term, or same term and shorter)', () => {
    const voter = new TestNode(
      id(1),
      [id(1), id(2), id(3)],
      {},
      {
        hardState: { term: asTerm(3), vote: NO_MEMBER, commit: asIndex(0) },
        snapshot: null,
        entries: entries([1, 2, 3]),
      },
    );
    voter.raft.step(voteFrom(2, 1, 4, 5, 2));
    voter.raft.step(voteFrom(3, 1, 5, 2, 3));
    const resp = answers(voter.drain(), 'voteResp');
    assert.deepEqual(
      resp.map((m) => [m.to, m.reject]),
      [
        [id(2), true],
        [id(3), true],
      ],
    );
    assert.equal(voter.raft.status().vote, NO_MEMBER);
  });

  it('a voter grants a candidate whose log is at least as up to date', () => {
    const voter = new TestNode(
      id(1),
      [id(1), id(2), id(3)],
      {},
      {
        hardState: { term: asTerm(3), vote: NO_MEMBER, commit: asIndex(0) },
        snapshot: null,
        entries: entries([1, 2, 3]),
      },
    );
    voter.raft.step(voteFrom(2, 1, 4, 3, 3));
    const [resp] = answers(voter.drain(), 'voteResp');
    assert.equal(resp?.reject, false);
    assert.equal(voter.raft.status().vote, id(2));
    assert.equal(voter.stored.hardState?.vote, id(2), 'the vote is persisted in the same Ready as the answer');
  });

  it('a member votes at most once in a term', () => {
    const voter = new TestNode(id(1), [id(1), id(2), id(3)]);
    voter.raft.step(voteFrom(2, 1, 1, 0, 0));
    voter.raft.step(voteFrom(3, 1, 1, 0, 0));
    voter.raft.step(voteFrom(2, 1, 1, 0, 0));
    const resp = answers(voter.drain(), 'voteResp');
    assert.deepEqual(
      resp.map((m) => [m.to, m.reject]),
      [
        [id(2), false],
        [id(3), true],
        [id(2), false],
      ],
    );
  });

  it('a candidate does not vote for another candidate of its own term', () => {
    const c = new TestCluster(3);
    const cand = c.node(1);
    cand.raft.campaign();
    assert.equal(cand.raft.status().role, 'candidate');
    const term = cand.raft.status().term;
    cand.drain();
    cand.raft.step(voteFrom(2, 1, term, 10, term - 1));
    const [resp] = answers(cand.drain(), 'voteResp');
    assert.equal(resp?.reject, true);
    assert.equal(cand.raft.status().vote, id(1));
  });

  it('a vote survives a restart: the restarted member still refuses a second candidate', () => {
    const voter = new TestNode(id(1), [id(1), id(2), id(3)]);
    voter.raft.step(voteFrom(2, 1, 1, 0, 0));
    voter.drain();
    voter.restart();
    voter.raft.step(voteFrom(3, 1, 1, 0, 0));
    const [resp] = answers(voter.drain(), 'voteResp');
    assert.equal(resp?.reject, true);
  });

  it('pre-vote keeps a partitioned member that rejoins from disrupting the leader', () => {
    const c = new TestCluster(3, { preVote: true });
    c.elect(1);
    const term = c.node(1).raft.status().term;
    c.isolate(3);
    c.tick(3, 100);
    c.stabilize();
    assert.equal(c.node(3).raft.status().term, term, 'pre-candidates do not raise their term');
    assert.equal(c.node(3).raft.status().role, 'preCandidate');
    c.heal();
    c.tickAll(3);
    assert.equal(c.node(1).raft.status().role, 'leader');
    assert.equal(c.node(1).raft.status().term, term);
    assert.equal(c.node(3).raft.status().leader, id(1));
  });

  it('without pre-vote the same rejoining member forces a new election', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const term = c.node(1).raft.status().term;
    c.isolate(3);
    c.tick(3, 100);
    c.stabilize();
    assert.ok(c.node(3).raft.status().term > term);
    c.heal();
    c.tickAll(3);
    assert.ok(c.node(1).raft.status().term > term, 'the leader was deposed by the higher term');
  });

  it('check-quorum makes a leader that cannot hear a quorum step down after an election timeout', () => {
    const c = new TestCluster(3, { checkQuorum: true });
    c.elect(1);
    c.isolate(1);
    c.tick(1, 9);
    c.stabilize();
    assert.equal(c.node(1).raft.status().role, 'leader');
    c.tick(1, 12);
    c.stabilize();
    assert.equal(c.node(1).raft.status().role, 'follower');
    assert.equal(c.node(1).raft.status().leader, NO_MEMBER);
  });

  it('with check-quorum a follower ignores vote requests while its leader lease holds', () => {
    const c = new TestCluster(3, { checkQuorum: true });
    c.elect(1);
    const f = c.node(2);
    const term = f.raft.status().term;
    f.raft.step(voteFrom(3, 2, term + 1, 100, term));
    assert.deepEqual(f.drain(), []);
    assert.equal(f.raft.status().term, term);
    assert.equal(f.raft.status().leader, id(1));
  });

  it('a leader without a quorum of live members is not elected, and no member raises a leader', () => {
    const c = new TestCluster(5);
    c.isolate(4);
    c.isolate(5);
    c.filter = (m) => m.from !== id(3) && m.to !== id(3);
    c.elect(1);
    assert.equal(c.leaders().length, 0);
  });
});
