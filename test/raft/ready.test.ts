import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Raft, RaftError } from '../../lib/raft/index.js';
import { asIndex, asTerm, NO_MEMBER, type Message } from '../../lib/raft/types.js';
import { entries, id, seededRandom, TestCluster, TestNode } from './harness.js';

const config = {
  id: id(1),
  voters: [id(1), id(2), id(3)],
  electionTick: 10,
  heartbeatTick: 1,
  random: seededRandom(1),
  preVote: true,
  checkQuorum: true,
  maxInflight: 8,
  maxMsgBytes: 4096,
};

describe('raft Ready/advance protocol', () => {
  it('a fresh member has nothing to do', () => {
    assert.equal(new Raft(config).hasReady(), false);
  });

  it('hasReady is false while a Ready is outstanding, and ready() refuses to hand out a second one', () => {
    const r = new Raft({ ...config, voters: [id(1)] });
    r.campaign();
    const rd = r.ready();
    assert.equal(r.hasReady(), false);
    assert.throws(
      () => r.ready(),
      (e: unknown) => e instanceof RaftError && e.code === 'ready-outstanding',
    );
    r.advance(rd);
    assert.equal(r.hasReady(), true);
  });

  it('advance() without an outstanding Ready is a usage error', () => {
    const r = new Raft(config);
    assert.throws(
      () =>
        r.advance({
          hardState: null,
          entries: [],
          snapshot: null,
          sendNow: [],
          sendAfterSync: [],
          mustSync: false,
          committed: [],
          readStates: [],
          softState: null,
        }),
      (e: unknown) => e instanceof RaftError && e.code === 'no-ready-outstanding',
    );
  });

  it('softState appears only when the role or leader changed; hardState only when term, vote or commit changed', () => {
    const r = new Raft({ ...config, voters: [id(1)] });
    r.campaign();
    const rd1 = r.ready();
    assert.deepEqual(rd1.softState, { leader: id(1), role: 'leader' });
    assert.deepEqual(rd1.hardState, { term: 1, vote: id(1), commit: 0 });
    r.advance(rd1);
    const rd2 = r.ready();
    assert.equal(rd2.softState, null);
    assert.deepEqual(rd2.hardState, { term: 1, vote: id(1), commit: 1 });
    r.advance(rd2);
    assert.equal(r.hasReady(), false);
  });

  it("a follower's Ready may commit entries that arrive in the same Ready (persist, then apply)", () => {
    const f = new TestNode(id(2), [id(1), id(2)]);
    f.raft.step({
      type: 'append',
      from: id(1),
      to: id(2),
      term: asTerm(1),
      prevIndex: asIndex(0),
      prevTerm: asTerm(0),
      entries: entries([1, 1]),
      commit: asIndex(2),
    });
    const rd = f.raft.ready();
    assert.deepEqual(
      rd.entries.map((e) => e.index),
      [1, 2],
    );
    assert.deepEqual(
      rd.committed.map((e) => e.index),
      [1, 2],
    );
  });

  it('a confirmation for entries that were replaced meanwhile does not mark the replacements persisted', () => {
    const f = new TestNode(id(2), [id(1), id(2), id(3)]);
    const append = (term: number, terms: number[], commit = 0): Message => ({
      type: 'append',
      from: id(term === 1 ? 1 : 3),
      to: id(2),
      term: asTerm(term),
      prevIndex: asIndex(0),
      prevTerm: asTerm(0),
      entries: entries(terms),
      commit: asIndex(commit),
    });
    f.raft.step(append(1, [1, 1]));
    const rd = f.raft.ready();
    f.raft.step(append(2, [2, 2]));
    f.raft.advance(rd);
    const next = f.raft.ready();
    assert.deepEqual(
      next.entries.map((e) => [e.index, e.term]),
      [
        [1, 2],
        [2, 2],
      ],
    );
  });

  it('messages that are malformed, addressed elsewhere or from an unknown leader term do not throw', () => {
    const c = new TestCluster(3);
    c.elect(1);
    const r = c.node(2).raft;
    const junk: unknown[] = [
      null,
      {},
      { type: 'append', from: id(1), to: id(9), term: 5 },
      { type: 'append', from: id(1), to: id(2), term: 5, prevIndex: -1, prevTerm: 0, entries: [], commit: 0 },
      {
        type: 'append',
        from: id(1),
        to: id(2),
        term: 5,
        prevIndex: 0,
        prevTerm: 0,
        entries: [{ index: 7, term: 1, data: Buffer.alloc(0) }],
        commit: 0,
      },
      { type: 'snapshot', from: id(1), to: id(2), term: 5, snapshot: null },
      { type: 'nonsense', from: id(1), to: id(2), term: 5 },
      { type: 'appendResp', from: id(9), to: id(2), term: 1, reject: false, index: 99, rejectHint: 0, hintTerm: 0 },
      { type: 'propose', from: id(3), to: id(2), term: 0, entries: [{ type: 'weird', data: 'x' }] },
    ];
    const before = r.status();
    for (const m of junk) r.step(m as Message);
    assert.equal(r.status().term, before.term);
    assert.equal(r.status().lastIndex, before.lastIndex);
    c.node(1).raft.step({
      type: 'appendResp',
      from: id(2),
      to: id(1),
      term: before.term,
      reject: false,
      index: asIndex(999),
      rejectHint: asIndex(0),
      hintTerm: asTerm(0),
    });
    assert.equal(c.node(1).raft.status().commit, before.commit, 'an acknowledgement beyond the log is ignored');
  });

  it('a restored member with a gap in its entries or a commit beyond its log refuses to start', () => {
    const restore = (ents: ReturnType<typeof entries>, commit: number) =>
      new Raft({
        ...config,
        restore: {
          hardState: { term: asTerm(1), vote: NO_MEMBER, commit: asIndex(commit) },
          snapshot: null,
          entries: ents,
        },
      });
    assert.throws(
      () => restore([...entries([1]), ...entries([1], 3)], 0),
      (e: unknown) => e instanceof RaftError && e.code === 'invalid-restore',
    );
    assert.throws(
      () => restore(entries([1, 1]), 5),
      (e: unknown) => e instanceof RaftError && e.code === 'invalid-restore',
    );
  });

  it('an invalid config is refused with a message naming the field', () => {
    assert.throws(() => new Raft({ ...config, electionTick: 1 }), /electionTick/);
    assert.throws(() => new Raft({ ...config, maxInflight: 0 }), /maxInflight/);
  });

  describe('what must be durable before a message leaves (sendNow, sendAfterSync, mustSync)', () => {
    const appendFrom1 = (commit: number) =>
      ({
        type: 'append',
        from: id(1),
        to: id(2),
        term: asTerm(1),
        prevIndex: asIndex(0),
        prevTerm: asTerm(0),
        entries: entries([1]),
        commit: asIndex(commit),
      }) as const;

    it("a follower's acknowledgement of new entries waits for the sync", () => {
      const f = new TestNode(id(2), [id(1), id(2)]);
      f.raft.step(appendFrom1(0));
      const rd = f.raft.ready();
      assert.equal(rd.mustSync, true);
      assert.deepEqual(rd.sendNow, []);
      assert.deepEqual(
        rd.sendAfterSync.map((m) => m.type),
        ['appendResp'],
      );
    });

    it('a commit index that moved alone needs no sync, and the answer may leave at once', () => {
      const f = new TestNode(id(2), [id(1), id(2)]);
      f.raft.step(appendFrom1(0));
      f.raft.advance(f.raft.ready());
      f.raft.step({ type: 'heartbeat', from: id(1), to: id(2), term: asTerm(1), commit: asIndex(1), ctx: '' });
      const rd = f.raft.ready();
      assert.deepEqual(rd.hardState, { term: 1, vote: NO_MEMBER, commit: 1 });
      assert.equal(rd.mustSync, false);
      assert.deepEqual(
        rd.sendNow.map((m) => m.type),
        ['heartbeatResp'],
      );
      assert.deepEqual(rd.sendAfterSync, []);
    });

    it('a granted vote waits for the sync of the vote', () => {
      const f = new TestNode(id(2), [id(1), id(2), id(3)]);
      f.raft.step({
        type: 'vote',
        from: id(3),
        to: id(2),
        term: asTerm(2),
        lastIndex: asIndex(0),
        lastTerm: asTerm(0),
      });
      const rd = f.raft.ready();
      assert.equal(rd.mustSync, true);
      assert.deepEqual(
        rd.sendAfterSync.map((m) => [m.type, m.type === 'voteResp' && m.reject]),
        [['voteResp', false]],
      );
    });

    it("a leader's appends leave while its own entries are being synced", () => {
      const c = new TestCluster(3);
      c.elect(1);
      const leader = c.node(1).raft;
      leader.propose([{ type: 'normal', data: Buffer.from('x') }]);
      const rd = leader.ready();
      assert.equal(rd.mustSync, true);
      assert.equal(rd.entries.length, 1);
      assert.deepEqual(new Set(rd.sendNow.map((m) => m.type)), new Set(['append']));
      assert.deepEqual(rd.sendAfterSync, []);
    });

    it('a snapshot from the leader must be synced before it is acknowledged', () => {
      const f = new TestNode(id(2), [id(1), id(2)]);
      f.raft.step({
        type: 'snapshot',
        from: id(1),
        to: id(2),
        term: asTerm(1),
        snapshot: {
          meta: { index: asIndex(5), term: asTerm(1), conf: { voters: [id(1), id(2)] } },
          data: Buffer.from('[]'),
        },
      });
      const rd = f.raft.ready();
      assert.notEqual(rd.snapshot, null);
      assert.equal(rd.mustSync, true);
      assert.deepEqual(rd.sendNow, []);
    });
  });
});
