// The leader appends only proposals the state machine can apply: checkProposal
// decides, for its own proposals and for those followers forward.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RaftError, type Proposal } from '../../lib/raft/index.js';
import { asIndex, asTerm, type Message } from '../../lib/raft/types.js';
import { id, TestCluster } from './harness.js';

const checkProposal = (p: Proposal) => (p.data.toString().startsWith('ok') ? null : 'truncated buffer');
const normal = (s: string): Proposal => ({ type: 'normal', data: Buffer.from(s) });

describe('raft proposal check', () => {
  it('the leader drops a forwarded proposal its check refuses, appends the others, and names the sender', () => {
    const c = new TestCluster(3, { checkProposal });
    c.elect(1);
    const forged: Message = {
      type: 'propose',
      from: id(2),
      to: id(1),
      term: asTerm(0),
      entries: [
        { term: asTerm(0), index: asIndex(0), ...normal('garbage') },
        { term: asTerm(0), index: asIndex(0), ...normal('ok-1') },
      ],
    };
    const why = c.node(1).raft.step(forged);
    assert.match(why ?? '', /dropped 1 of 2 proposals forwarded by 0000000000000002/);
    assert.match(why ?? '', /truncated buffer/);
    c.stabilize();
    for (const n of [1, 2, 3]) assert.deepEqual(c.node(n).appliedData(), ['ok-1']);
  });

  it('the leader drops a forwarded conf change its check refuses', () => {
    const c = new TestCluster(3, { checkProposal });
    c.elect(1);
    const last = c.node(1).raft.log.lastIndex();
    const why = c.node(1).raft.step({
      type: 'propose',
      from: id(3),
      to: id(1),
      term: asTerm(0),
      entries: [{ term: asTerm(0), index: asIndex(0), type: 'confChange', data: Buffer.from('{"type":"remove"') }],
    });
    assert.match(why ?? '', /confChange proposal: truncated buffer/);
    assert.equal(c.node(1).raft.log.lastIndex(), last);
  });

  it('a follower refuses to forward a proposal its check refuses: propose throws and sends nothing', () => {
    const c = new TestCluster(3, { checkProposal });
    c.elect(1);
    assert.throws(
      () => c.node(2).raft.propose([normal('garbage')]),
      (e: unknown) => e instanceof RaftError && e.code === 'invalid-proposal',
    );
    assert.deepEqual(c.node(2).drain(), []);
  });

  it('the leader refuses its own proposal when the check refuses it, taking none of the batch', () => {
    const c = new TestCluster(3, { checkProposal });
    c.elect(1);
    const last = c.node(1).raft.log.lastIndex();
    assert.throws(() => c.node(1).raft.propose([normal('ok-1'), normal('garbage')]), /truncated buffer/);
    assert.equal(c.node(1).raft.log.lastIndex(), last);
  });
});
