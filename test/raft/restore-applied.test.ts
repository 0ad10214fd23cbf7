import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Raft } from '../../lib/raft/index.js';
import { asIndex, asMemberId, asTerm, type Entry } from '../../lib/raft/types.js';

const id = asMemberId('1');
const entries: Entry[] = [1, 2, 3].map((i) => ({
  term: asTerm(1),
  index: asIndex(i),
  type: 'normal',
  data: Buffer.from([i]),
}));

function restarted(applied?: number): Raft {
  return new Raft({
    id,
    voters: [id],
    electionTick: 10,
    heartbeatTick: 1,
    random: () => 0,
    preVote: false,
    checkQuorum: false,
    maxInflight: 16,
    maxMsgBytes: 1 << 20,
    restore: {
      hardState: { term: asTerm(1), vote: id, commit: asIndex(3) },
      snapshot: null,
      entries,
      ...(applied === undefined ? {} : { applied: asIndex(applied) }),
    },
  });
}

test('entries the server applied while recovering are not delivered again', () => {
  const r = restarted(2);
  assert.deepEqual(
    r.ready().committed.map((e) => e.index),
    [3],
  );
});

test('without an applied index every committed entry is delivered on restart', () => {
  const r = restarted();
  assert.deepEqual(
    r.ready().committed.map((e) => e.index),
    [1, 2, 3],
  );
});

test('an applied index beyond the commit index is refused', () => {
  assert.throws(() => restarted(4), /applied 4 is beyond the commit index 3/);
});
