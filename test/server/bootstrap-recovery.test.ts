// Start-up from a data dir, in-process: a long log replay reports progress,
// and a force-new-cluster rewrite interrupted by a crash is finished (or
// discarded) at the next start, never leaving the data dir half rewritten.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { Metrics } from '../../lib/metrics/index.js';
import { asIndex, asTerm, type Entry } from '../../lib/raft/types.js';
import { bootstrap, type Bootstrapped } from '../../lib/server/bootstrap.js';
import type { MemberOptions } from '../../lib/server/options.js';
import { encodeProposal } from '../../lib/proposal/index.js';
import { capturingLogger, type LogLine } from '../discovery/support.js';
import { tempDir } from '../support/procs.js';

function options(dataDir: string, extra: Partial<MemberOptions> = {}): MemberOptions {
  return {
    name: 'solo',
    dataDir,
    initialCluster: [{ name: 'solo', peerURLs: ['http://127.0.0.1:2380'] }],
    initialClusterState: 'new',
    initialClusterToken: 'recovery-test',
    advertisePeerURLs: ['http://127.0.0.1:2380'],
    advertiseClientURLs: ['http://127.0.0.1:2379'],
    listenPeerURLs: ['http://127.0.0.1:2380'],
    heartbeatMs: 100,
    electionMs: 1000,
    snapshotCount: 1_000_000,
    maxSnapshots: 5,
    maxWals: 5,
    segmentSize: 64 * 1024,
    requestTimeoutMs: 5000,
    logger: pino({ level: 'silent' }),
    metrics: new Metrics(),
    ...extra,
  };
}

function close(b: Bootstrapped): void {
  b.wal.close();
  b.lock.release();
}

/** A member data dir whose log holds `keys` committed writes after the bootstrap entry. */
async function dataDirWithKeys(t: TestContext, keys: number): Promise<string> {
  const dataDir = join(tempDir(t), 'solo.kvd');
  const b = await bootstrap(options(dataDir));
  const entries: Entry[] = [];
  for (let i = 0; i < keys; i++) {
    const body = { op: 'put' as const, path: `/k${i}`, value: `v${i}`, dir: false, ttl: null, refresh: false };
    entries.push({
      term: asTerm(1),
      index: asIndex(b.applied + 1 + i),
      type: 'normal',
      data: encodeProposal({ origin: '', seq: 0, time: Date.now(), body }),
    });
  }
  // In batches, so that segments roll as they do under a live member.
  for (let i = 0; i < entries.length; i += 100) {
    const batch = entries.slice(i, i + 100);
    b.wal.append(batch, { term: asTerm(1), vote: b.id, commit: batch.at(-1)!.index });
  }
  close(b);
  return dataDir;
}

test('replaying a long log logs progress lines with counts and a rate', async (t) => {
  const dataDir = await dataDirWithKeys(t, 3000);
  const { logger, lines } = capturingLogger();
  const b = await bootstrap(options(dataDir, { logger, progressIntervalMs: 0 }));
  close(b);
  assert.equal(b.replayed, 3001);
  const replaying = lines.filter((l: LogLine) => l.msg === 'replaying the log');
  assert.deepEqual(
    replaying.map((l) => [l.replayed, l.entries]),
    [
      [1024, 3001],
      [2048, 3001],
    ],
  );
  assert.ok(
    replaying.every((l) => typeof l.perSecond === 'number' && l.perSecond > 0),
    JSON.stringify(replaying),
  );
  const reading = lines.filter((l: LogLine) => l.msg === 'reading the log');
  assert.ok(reading.length > 1, JSON.stringify(reading));
  assert.equal(reading.at(-1)!.segmentsRead, reading.at(-1)!.segments);
});

test('a short replay logs no progress at the default interval', async (t) => {
  const dataDir = await dataDirWithKeys(t, 1100);
  const { logger, lines } = capturingLogger();
  close(await bootstrap(options(dataDir, { logger })));
  assert.deepEqual(
    lines.filter((l) => l.msg === 'replaying the log' || l.msg === 'reading the log'),
    [],
  );
});

test('a force-new-cluster rewrite interrupted after it was complete is finished at the next start', async (t) => {
  const original = await dataDirWithKeys(t, 10);
  const forced = join(tempDir(t), 'forced.kvd');
  cpSync(original, forced, { recursive: true });
  const done = await bootstrap(options(forced, { forceNewCluster: true }));
  close(done);
  assert.notEqual(done.clusterId, (await reopen(original)).clusterId);
  // The crash: the rewrite was marked complete, the old log removed, the new one not yet moved in.
  const staging = join(original, 'member', 'force-new-cluster');
  mkdirSync(join(staging, 'member'), { recursive: true });
  renameSync(join(forced, 'member', 'wal'), join(staging, 'member', 'wal'));
  renameSync(join(forced, 'member', 'snap'), join(staging, 'member', 'snap'));
  writeFileSync(join(staging, 'complete'), `${done.clusterId}\n`);
  rmSync(join(original, 'member', 'wal'), { recursive: true });
  const { logger, lines } = capturingLogger();
  const b = await bootstrap(options(original, { logger }));
  close(b);
  assert.equal(b.clusterId, done.clusterId);
  assert.equal(b.sm.store.get('/k9', false, false, Date.now()).node.value, 'v9');
  assert.deepEqual(b.voters, [b.id]);
  assert.equal(existsSync(staging), false);
  assert.ok(
    lines.some((l) => l.msg.startsWith('finished a force-new-cluster rewrite')),
    JSON.stringify(lines),
  );
});

test('a force-new-cluster rewrite interrupted before it was complete is discarded: the data dir is as it was', async (t) => {
  const dataDir = await dataDirWithKeys(t, 10);
  const before = await reopen(dataDir);
  const staging = join(dataDir, 'member', 'force-new-cluster');
  mkdirSync(join(staging, 'member', 'snap'), { recursive: true });
  writeFileSync(join(staging, 'member', 'snap', 'half-written.snap.tmp'), 'x');
  const b = await bootstrap(options(dataDir));
  close(b);
  assert.equal(b.clusterId, before.clusterId);
  assert.equal(b.replayed, before.replayed);
  assert.equal(existsSync(staging), false);
});

async function reopen(dataDir: string): Promise<Bootstrapped> {
  const b = await bootstrap(options(dataDir));
  close(b);
  return b;
}
