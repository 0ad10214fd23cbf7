import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualTime } from '../../lib/runtime/index.js';
import { LinearizableReads, type LinearizableReadsOptions } from '../../lib/server/linearizable-reads.js';
import { V2Error } from '../../lib/store/index.js';

/** A raft stand-in that records the ReadIndex requests it was asked, while it has a leader. */
function fakeRaft() {
  return { leader: true, asked: [] as string[] };
}

function reads(raft: ReturnType<typeof fakeRaft>, opts: Partial<LinearizableReadsOptions> = {}): LinearizableReads {
  let ctx = 0;
  return new LinearizableReads({
    timeoutMs: 5000,
    scheduler: new VirtualTime(),
    maxPending: 100,
    maxRounds: 4,
    retryTicks: 10,
    newContext: () => `c${++ctx}`,
    readIndex: (c) => {
      if (!raft.leader) return false;
      raft.asked.push(c);
      return true;
    },
    ...opts,
  });
}

const state = async (p: Promise<void>): Promise<'served' | 'failed' | 'waiting'> =>
  Promise.race([
    p.then(
      () => 'served' as const,
      () => 'failed' as const,
    ),
    new Promise<'waiting'>((r) => setImmediate(() => r('waiting'))),
  ]);

const isTooMany = (e: unknown) =>
  e instanceof V2Error && e.errorCode === 300 && e.cause === 'etcdserver: too many requests' && e.status === 500;

describe('quorum reads', () => {
  it('reads queued together share one round and are served once the apply loop reaches the read point', async () => {
    const raft = fakeRaft();
    const r = reads(raft);
    const a = r.wait();
    const b = r.wait();
    r.send();
    assert.deepEqual(raft.asked, ['c1']);
    r.confirmed('c1', 7);
    r.applied(6);
    assert.equal(await state(a), 'waiting');
    r.applied(7);
    assert.equal(await state(a), 'served');
    assert.equal(await state(b), 'served');
    assert.equal(r.pending, 0);
    assert.equal(r.rounds, 0);
  });

  it('a leader change during a burst of reads sends the unconfirmed rounds again to the new leader; every read is served and nothing is left', async () => {
    const raft = fakeRaft();
    const r = reads(raft);
    const burst: Promise<void>[] = [];
    for (let k = 0; k < 3; k++) {
      burst.push(r.wait(), r.wait());
      r.send();
    }
    assert.deepEqual(raft.asked, ['c1', 'c2', 'c3']);
    r.confirmed('c1', 5);
    raft.leader = false;
    r.leaderChanged();
    burst.push(r.wait());
    r.send();
    assert.equal(raft.asked.length, 3, 'nothing is asked while no leader is known');
    raft.leader = true;
    r.send();
    assert.equal(raft.asked.length, 4, 'one new round carries every read not yet confirmed');
    r.confirmed('c2', 5);
    r.confirmed(raft.asked[3]!, 6);
    r.applied(6);
    assert.deepEqual(await Promise.all(burst.map(state)), Array(7).fill('served'));
    assert.equal(r.pending, 0);
    assert.equal(r.rounds, 0);
  });

  it('a round unanswered for retryTicks is sent again under a new context, and a late answer to the old one is ignored', async () => {
    const raft = fakeRaft();
    const r = reads(raft, { retryTicks: 3 });
    const read = r.wait();
    r.send();
    for (let k = 0; k < 3; k++) r.tick();
    r.send();
    assert.deepEqual(raft.asked, ['c1', 'c2']);
    r.confirmed('c1', 100);
    r.applied(50);
    assert.equal(await state(read), 'waiting', 'the given-up round must not serve it');
    r.confirmed('c2', 50);
    assert.equal(await state(read), 'served');
  });

  it('a read whose round is never answered fails with request timed out at its deadline and leaves nothing behind', async () => {
    const raft = fakeRaft();
    const time = new VirtualTime();
    const r = reads(raft, { timeoutMs: 20, scheduler: time });
    const read = r.wait();
    r.send();
    time.advance(19);
    assert.equal(await state(read), 'waiting');
    time.advance(1);
    await assert.rejects(
      read,
      (e: unknown) => e instanceof V2Error && e.errorCode === 300 && e.cause === 'etcdserver: request timed out',
    );
    assert.equal(r.pending, 0);
    assert.equal(r.rounds, 0);
    r.confirmed('c1', 1);
  });

  it("past maxPending reads, a read is refused at once with etcd's too many requests (error 300, HTTP 500)", async () => {
    const raft = fakeRaft();
    raft.leader = false;
    const r = reads(raft, { maxPending: 3 });
    const queued = [r.wait(), r.wait(), r.wait()];
    await assert.rejects(r.wait(), isTooMany);
    assert.equal(r.pending, 3);
    raft.leader = true;
    r.send();
    r.confirmed('c1', 0);
    await Promise.all(queued);
    assert.equal(r.pending, 0);
  });

  it('at most maxRounds rounds are in flight; reads arriving meanwhile wait for the next round', async () => {
    const raft = fakeRaft();
    const r = reads(raft, { maxRounds: 2 });
    const first = [r.wait()];
    r.send();
    first.push(r.wait());
    r.send();
    const later = [r.wait(), r.wait()];
    r.send();
    assert.deepEqual(raft.asked, ['c1', 'c2']);
    assert.equal(r.rounds, 2);
    r.confirmed('c1', 0);
    r.send();
    assert.deepEqual(raft.asked, ['c1', 'c2', 'c3'], 'the two later reads share the freed slot');
    r.confirmed('c2', 0);
    r.confirmed('c3', 0);
    assert.deepEqual(await Promise.all([...first, ...later].map(state)), Array(4).fill('served'));
  });

  it('rounds waiting for a stalled apply loop count as in flight: reads then queue, and past the limit are refused', async () => {
    const raft = fakeRaft();
    const r = reads(raft, { maxRounds: 2, maxPending: 4 });
    const all = [r.wait()];
    r.send();
    r.confirmed('c1', 10);
    all.push(r.wait());
    r.send();
    r.confirmed('c2', 11);
    all.push(r.wait(), r.wait());
    r.send();
    assert.deepEqual(raft.asked, ['c1', 'c2'], 'no third round while two wait for the apply loop');
    await assert.rejects(r.wait(), isTooMany);
    r.applied(11);
    r.send();
    r.confirmed('c3', 11);
    assert.deepEqual(await Promise.all(all.map(state)), Array(4).fill('served'));
    assert.equal(r.rounds, 0);
  });

  it('stopping fails every read, queued or in a round, with the given error', async () => {
    const raft = fakeRaft();
    const r = reads(raft);
    const inRound = r.wait();
    r.send();
    const queued = r.wait();
    r.rejectAll(new Error('stopped'));
    await assert.rejects(inRound, /stopped/);
    await assert.rejects(queued, /stopped/);
    assert.equal(r.pending, 0);
    assert.equal(r.rounds, 0);
  });
});
