import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { RaftError, type Proposal } from '../../lib/raft/index.js';
import { VirtualTime } from '../../lib/runtime/index.js';
import { ProposalIds, type IdReservation } from '../../lib/server/proposal-ids.js';
import { Proposer, type ProposerOptions } from '../../lib/server/proposer.js';
import { CounterFile } from '../../lib/storage/index.js';
import { V2Error } from '../../lib/store/index.js';

const quiet = pino({ level: 'silent' });
const inMemory = (): IdReservation => {
  let next: number | null = null;
  return { load: (absent) => next ?? absent, save: (n) => void (next = n) };
};

/** A raft stand-in: takes proposals while `leader` is true, remembering them by id and in the batches they came in. */
function fakeRaft() {
  const taken: number[] = [];
  const batches: number[][] = [];
  return {
    leader: true,
    taken,
    batches,
    submit(this: { leader: boolean }, ps: readonly Proposal[]): boolean {
      if (!this.leader) return false;
      const ids = ps.map((p) => Number(p.data.toString()));
      taken.push(...ids);
      batches.push(ids);
      return true;
    },
  };
}

function proposer(raft: ReturnType<typeof fakeRaft>, opts: Partial<ProposerOptions> = {}): Proposer<string> {
  return new Proposer<string>({
    ids: new ProposalIds(inMemory()),
    timeoutMs: 5000,
    scheduler: new VirtualTime(),
    maxPending: 100,
    maxUnproposed: 100,
    submit: (ps) => raft.submit(ps),
    logger: quiet,
    ...opts,
  });
}

const encodeId = (id: number): Proposal => ({ type: 'normal', data: Buffer.from(String(id)) });
const encodeChange = (id: number): Proposal => ({ type: 'confChange', data: Buffer.from(String(id)) });

const isTooMany = (e: unknown) =>
  e instanceof V2Error && e.errorCode === 300 && e.cause === 'etcdserver: too many requests' && e.status === 500;

const settled = async <T>(p: Promise<T>): Promise<'pending' | 'settled'> =>
  Promise.race([
    p.then(
      () => 'settled' as const,
      () => 'settled' as const,
    ),
    new Promise<'pending'>((r) => setImmediate(() => r('pending'))),
  ]);

test('the entry carrying a request id answers that request only', async () => {
  const raft = fakeRaft();
  const p = proposer(raft);
  const a = p.propose(encodeId);
  const b = p.propose(encodeId);
  p.flush();
  p.settle(raft.taken[1]!, 'result b');
  assert.equal(await b, 'result b');
  assert.equal(await settled(a), 'pending');
  p.settle(raft.taken[0]!, 'result a');
  assert.equal(await a, 'result a');
});

test('after a restart on the same data dir, an entry proposed before it answers no new request', async (t: TestContext) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvd-proposer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'proposal-ids');
  const raft = fakeRaft();
  const before = proposer(raft, { ids: new ProposalIds(new CounterFile(file)) });
  void before.propose(encodeId).catch(() => {});
  before.flush();
  const oldId = raft.taken[0]!;
  // Crash: the entry is in the log, its client is gone. A new process proposes.
  const after = proposer(raft, { ids: new ProposalIds(new CounterFile(file)) });
  const fresh = after.propose(encodeId);
  after.flush();
  after.settle(oldId, "the old request's result");
  assert.equal(await settled(fresh), 'pending');
  after.settle(raft.taken[1]!, 'its own result');
  assert.equal(await fresh, 'its own result');
});

test("past maxPending requests, a request is refused at once with etcd's too many requests", async () => {
  const raft = fakeRaft();
  const p = proposer(raft, { maxPending: 3 });
  const waiting = [p.propose(encodeId), p.propose(encodeId), p.propose(encodeId)];
  await assert.rejects(p.propose(encodeId), isTooMany);
  assert.equal(p.pending, 3);
  p.flush();
  assert.equal(raft.taken.length, 3);
  p.settle(raft.taken[0]!, 'done');
  await waiting[0];
  void p.propose(encodeId);
  p.flush();
  assert.equal(raft.taken.length, 4, 'an answered request makes room');
});

test('without a leader requests wait, at most maxUnproposed of them, and go to the leader oldest first once one is known', async () => {
  const raft = fakeRaft();
  raft.leader = false;
  const p = proposer(raft, { maxUnproposed: 2 });
  const first = p.propose(encodeId);
  const second = p.propose(encodeId);
  const third = p.propose(encodeId);
  p.flush();
  await assert.rejects(third, isTooMany);
  assert.equal(p.queued, 2);
  raft.leader = true;
  p.retry();
  assert.equal(p.queued, 0);
  assert.equal(raft.taken.length, 2);
  assert.ok(raft.taken[0]! < raft.taken[1]!);
  p.settle(raft.taken[0]!, 'one');
  p.settle(raft.taken[1]!, 'two');
  assert.deepEqual(await Promise.all([first, second]), ['one', 'two']);
});

test('a request that times out while waiting for a leader fails with request timed out and is never proposed', async () => {
  const raft = fakeRaft();
  raft.leader = false;
  const time = new VirtualTime();
  const p = proposer(raft, { timeoutMs: 10, scheduler: time });
  const request = p.propose(encodeId);
  p.flush();
  time.advance(9);
  assert.equal(await settled(request), 'pending');
  time.advance(1);
  await assert.rejects(request, (e: unknown) => e instanceof V2Error && e.cause === 'etcdserver: request timed out');
  assert.equal(p.queued, 0);
  assert.equal(p.pending, 0);
  raft.leader = true;
  p.retry();
  assert.deepEqual(raft.taken, []);
});

test('a proposal raft refuses as one that could not be applied fails at once with error 300', async () => {
  const p = new Proposer<string>({
    ids: new ProposalIds(inMemory()),
    timeoutMs: 5000,
    scheduler: new VirtualTime(),
    maxPending: 10,
    maxUnproposed: 10,
    submit: () => {
      throw new RaftError('invalid-proposal', 'normal proposal: truncated buffer');
    },
    logger: quiet,
  });
  const request = p.propose(encodeId);
  p.flush();
  await assert.rejects(
    request,
    (e: unknown) => e instanceof V2Error && e.errorCode === 300 && /truncated buffer/.test(e.cause),
  );
  assert.equal(p.pending, 0);
});

test('requests proposed before a flush go to raft together, in the order they came', () => {
  const raft = fakeRaft();
  const p = proposer(raft);
  for (let i = 0; i < 3; i++) void p.propose(encodeId);
  assert.equal(raft.taken.length, 0, 'nothing goes to raft before the flush');
  p.flush();
  void p.propose(encodeId);
  p.flush();
  assert.deepEqual(
    raft.batches.map((b) => b.length),
    [3, 1],
  );
  assert.deepEqual(
    raft.taken,
    [...raft.taken].sort((a, b) => a - b),
  );
});

test('a conf change goes to raft alone: when raft refuses it, the normal proposals around it are still taken', () => {
  const raft = fakeRaft();
  const submitted: string[][] = [];
  const p = proposer(raft, {
    submit: (ps) => {
      submitted.push(ps.map((x) => x.type));
      return ps[0]?.type === 'confChange' ? false : raft.submit(ps);
    },
  });
  void p.propose(encodeId);
  void p.propose(encodeId);
  void p.propose(encodeChange);
  void p.propose(encodeId);
  p.flush();
  assert.deepEqual(submitted, [['normal', 'normal'], ['confChange']]);
  assert.equal(raft.taken.length, 2);
  assert.equal(p.queued, 2, 'the refused conf change and what came after it wait, in order');
});

test('of a batch holding a proposal raft cannot apply, only that request fails; the others are taken', async () => {
  const raft = fakeRaft();
  const bad = (id: number): Proposal => ({ type: 'normal', data: Buffer.from(`bad ${id}`) });
  const p = proposer(raft, {
    submit: (ps) => {
      if (ps.some((x) => x.data.toString().startsWith('bad'))) throw new RaftError('invalid-proposal', 'garbage');
      return raft.submit(ps);
    },
  });
  const good1 = p.propose(encodeId);
  const broken = p.propose(bad);
  const good2 = p.propose(encodeId);
  p.flush();
  await assert.rejects(broken, (e: unknown) => e instanceof V2Error && e.errorCode === 300);
  assert.equal(raft.taken.length, 2);
  for (const [i, id] of raft.taken.entries()) p.settle(id, ['one', 'two'][i] ?? '');
  assert.deepEqual(await Promise.all([good1, good2]), ['one', 'two']);
});
