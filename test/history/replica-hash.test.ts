// /v2/stats/hash on every member of a real three-member cluster, and the
// leader's periodic check finding a member whose tree was corrupted (through
// the test-only KVD_TEST_CORRUPT hook).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, httpRequest, startCluster, type MemberProcess, leaderOf } from '../support/procs.js';
import { kvctlAt } from '../kvctl/support.js';

/** Waits until every member shows the same X-Etcd-Index, and returns it. */
async function settledIndex(members: MemberProcess[]): Promise<number> {
  return eventually(
    async () => {
      const indexes = await Promise.all(
        members.map(async (m) => Number((await httpRequest('GET', `${m.clientURL}/v2/keys/`)).headers['x-etcd-index'])),
      );
      return indexes.every((i) => i === indexes[0]) ? indexes[0] : null;
    },
    10_000,
    'members at the same index',
  );
}

async function metric(m: MemberProcess, name: string): Promise<number | null> {
  const r = await httpRequest('GET', `${m.clientURL}/metrics`);
  const line = r.body.split('\n').find((l: string) => l.startsWith(name + ' '));
  return line === undefined ? null : Number(line.split(' ')[1]);
}

test('every member answers /v2/stats/hash, with equal hashes at equal indexes, now and at a past index', async (t) => {
  const members = await startCluster(t, 3, ['--hash-check-interval', '0']);
  const leader = await leaderOf(members);
  for (let i = 0; i < 20; i++)
    await httpRequest('PUT', `${leader.clientURL}/v2/keys/dir/k${i}`, `value=${i}&ttl=${i % 3 === 0 ? 600 : ''}`);
  const past = await settledIndex(members);
  await httpRequest('PUT', `${leader.clientURL}/v2/keys/dir/k0`, 'value=changed');
  const index = await settledIndex(members);
  const now = await Promise.all(
    members.map(async (m) => (await httpRequest('GET', `${m.clientURL}/v2/stats/hash`)).json),
  );
  for (const h of now) assert.deepEqual(h, now[0], JSON.stringify(now));
  assert.equal(now[0].index, index);
  assert.match(now[0].hash, /^[0-9a-f]{64}$/);
  const then = await Promise.all(
    members.map(async (m) => (await httpRequest('GET', `${m.clientURL}/v2/stats/hash?index=${past}`)).json),
  );
  for (const h of then) assert.deepEqual(h, { index: past, hash: then[0].hash }, JSON.stringify(then));
  assert.notEqual(then[0].hash, now[0].hash);
  const future = await httpRequest('GET', `${leader.clientURL}/v2/stats/hash?index=${index + 100}`);
  assert.equal(future.status, 400);
  assert.equal(future.json.errorCode, 450);

  const check = await kvctlAt(leader.clientURL, ['--timeout', '20s', '--total-timeout', '60s', 'check', 'hash']);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, new RegExp(`all 3 members agree at index ${index}`));
});

test('the leader detects a member whose tree was corrupted, which turns unhealthy', async (t) => {
  const members = await startCluster(t, 3, ['--hash-check-interval', '1']);
  const leader = await leaderOf(members);
  await httpRequest('PUT', `${leader.clientURL}/v2/keys/config/victim`, 'value=good');
  await httpRequest('PUT', `${leader.clientURL}/v2/keys/config/other`, 'value=fine');
  await settledIndex(members);
  const odd = members.find((m) => m !== leader);
  assert.ok(odd);
  await odd.kill();
  odd.start([], { KVD_TEST_CORRUPT: '/config/victim=bad' });
  // Found within a check or two of its restart (waitReady would wait for a healthy answer it never gives).
  await eventually(
    async () => (await metric(odd, 'kvd_corruption_detected').catch(() => null)) === 1,
    20_000,
    'the odd member told',
  );
  assert.match(odd.stderr, /KVD_TEST_CORRUPT/);
  assert.equal((await httpRequest('GET', `${odd.clientURL}/health`)).status, 503);
  assert.match(odd.stderr, /this member holds a corrupted tree/);
  const healthy = members.filter((m) => m !== odd);
  for (const m of healthy) assert.equal((await httpRequest('GET', `${m.clientURL}/health`)).status, 200);
  const newLeader = await leaderOf(members);
  assert.equal(await metric(newLeader, 'kvd_corruption_detected'), 1);
  const line = newLeader.stderr.split('\n').find((l) => l.includes('replica hash mismatch'));
  assert.ok(line, 'the leader logged the mismatch');
  const logged = JSON.parse(line);
  assert.equal(logged.level, 50);
  assert.equal(logged.firstDifferingKey, '/config/victim');
  assert.match(logged.hash, /^[0-9a-f]{64}$/);
  assert.match(logged.majorityHash, /^[0-9a-f]{64}$/);
  assert.notEqual(logged.hash, logged.majorityHash);

  const check = await kvctlAt(newLeader.clientURL, ['--timeout', '20s', '--total-timeout', '60s', 'check', 'hash']);
  assert.equal(check.code, 5, check.stdout + check.stderr);
  assert.match(check.stdout, /hashes differ at index \d+/);
});
