import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AssertionFailure } from '../../lib/assert.js';
import { Raft } from '../../lib/raft/index.js';
import { asIndex, asMemberId, asTerm, type Entry, type Role } from '../../lib/raft/types.js';
import { SeededRandom, VirtualTime } from '../../lib/runtime/index.js';
import { RaftNode, type NodeFailure, type ReadyHandler } from '../../lib/server/raft-node.js';
import { StorageError } from '../../lib/storage/index.js';
import {
  capturingLogger,
  MemorySnapshots,
  quietLogger,
  RecordingLog,
  RecordingTransport,
  settle,
  type Step,
} from './parts.js';

const m1 = asMemberId('0000000000000001');
const m2 = asMemberId('0000000000000002');

function node(self: typeof m1, voters: (typeof m1)[], handler: Partial<ReadyHandler> = {}, logger = quietLogger) {
  const steps: Step[] = [];
  const time = new VirtualTime();
  const log = new RecordingLog(steps);
  const transport = new RecordingTransport(steps);
  const failures: NodeFailure[] = [];
  const applied: Entry[] = [];
  const roles: Role[] = [];
  const random = new SeededRandom(7);
  const raft = new Raft({
    id: self,
    voters,
    electionTick: 10,
    heartbeatTick: 1,
    random: () => random.next(),
    preVote: false,
    checkQuorum: false,
    maxInflight: 8,
    maxMsgBytes: 1 << 20,
  });
  const n = new RaftNode({
    raft,
    log,
    snapshots: new MemorySnapshots(steps),
    transport,
    runtime: { clock: time, scheduler: time, random },
    logger,
    heartbeatMs: 100,
    traffic: { sent: () => {}, received: () => {}, unreachable: () => {} },
    onFailure: (f) => failures.push(f),
    handler: {
      turn: () => {},
      softState: (role) => roles.push(role),
      restore: () => {},
      apply: (es) => applied.push(...es),
      readStates: () => {},
      handled: () => {},
      tick: () => {},
      ...handler,
    },
  });
  return { n, raft, steps, time, log, transport, failures, applied, roles };
}

const appendFrom1 = (index: number, commit: number) => ({
  type: 'append' as const,
  from: m1,
  to: m2,
  term: asTerm(1),
  prevIndex: asIndex(index - 1),
  prevTerm: asTerm(index > 1 ? 1 : 0),
  entries: [{ term: asTerm(1), index: asIndex(index), type: 'normal' as const, data: Buffer.from('x') }],
  commit: asIndex(commit),
});

describe('the raft node (ready loop)', () => {
  it("acknowledges a leader's entries only after they are flushed to disk", async () => {
    const t = node(m2, [m1, m2]);
    t.n.start();
    t.n.message(appendFrom1(1, 0));
    t.time.advance(0);
    await settle();
    assert.deepEqual(t.steps, ['append 1 commit=0', 'flush']);
    t.log.synced();
    await settle();
    assert.deepEqual(t.steps, ['append 1 commit=0', 'flush', 'synced', 'send appendResp to 0000000000000001']);
  });

  it('writes a commit index that moved alone without waiting for a flush, and applies the entry', async () => {
    const t = node(m2, [m1, m2]);
    t.n.start();
    t.n.message(appendFrom1(1, 0));
    t.time.advance(0);
    await settle();
    t.log.synced();
    await settle();
    t.steps.length = 0;
    t.n.message({ type: 'heartbeat', from: m1, to: m2, term: asTerm(1), commit: asIndex(1), ctx: '' });
    t.time.advance(0);
    await settle();
    assert.deepEqual(t.steps, ['send heartbeatResp to 0000000000000001', 'append  commit=1']);
    assert.deepEqual(
      t.applied.map((e) => e.index),
      [1],
    );
  });

  it('elects a lone member on its own ticks, driven by the scheduler', async () => {
    const t = node(m1, [m1]);
    t.n.start();
    for (let i = 0; i < 25 && !t.n.isLeader; i++) {
      t.time.advance(100);
      await settle();
      t.log.synced();
      await settle();
    }
    assert.equal(t.n.isLeader, true);
    assert.equal(t.roles.at(-1), 'leader');
  });

  it('a disk that refuses a write makes the node refuse requests, without stopping it', async () => {
    const t = node(m2, [m1, m2]);
    t.n.start();
    t.log.failWith = new StorageError('IO', 'disk full', {});
    t.n.message(appendFrom1(1, 0));
    t.time.advance(0);
    await settle();
    assert.equal(t.failures.length, 1);
    assert.equal(t.failures[0]?.kind, 'storage');
    assert.match(t.failures[0]?.reason ?? '', /write-ahead log failed/);
    assert.equal(t.n.isStopped, false);
  });

  it('a broken invariant while applying is fatal, with a fatal log line naming the assertion', async () => {
    const { logger, lines } = capturingLogger();
    const t = node(
      m2,
      [m1, m2],
      {
        apply: (es) => {
          if (es.length > 0) throw new AssertionFailure('applying entry 7 out of order: applied is 5');
        },
      },
      logger,
    );
    t.n.start();
    t.n.message(appendFrom1(1, 1));
    t.time.advance(0);
    await settle();
    t.log.synced();
    await settle();
    assert.equal(t.failures[0]?.kind, 'fatal');
    const fatal = lines().find((l) => l.level === 60);
    assert.ok(fatal, 'a fatal line');
    assert.match(String(fatal.msg), /assertion failed: applying entry 7 out of order/);
  });

  it('stops ticking once stopped, and closes the log after the Ready in hand', async () => {
    const t = node(m1, [m1]);
    t.n.start();
    await t.n.stop();
    const before = t.raft.status().term;
    t.time.advance(5000);
    await settle();
    assert.equal(t.raft.status().term, before);
    assert.equal(t.steps.at(-1), 'close');
  });
});
