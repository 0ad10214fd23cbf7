// Three real kvd processes on loopback agreeing through Raft over HTTP/2.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  eventually,
  freePort,
  httpRequest,
  MemberProcess,
  memberArgs,
  openWatch,
  startCluster,
  waitReady,
  leaderOf,
  within,
} from '../support/procs.js';

test('a write on a follower is forwarded to the leader and visible on every member', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  const follower = members.find((m) => m !== leader)!;
  const put = await httpRequest('PUT', `${follower.clientURL}/v2/keys/fw`, 'value=from-follower');
  assert.equal(put.status, 201);
  for (const m of members) {
    const r = await httpRequest('GET', `${m.clientURL}/v2/keys/fw?quorum=true`);
    assert.equal(r.json.node.value, 'from-follower', m.spec.name);
  }
});

test('a quorum read on a follower right after a write sees that write', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  const followers = members.filter((m) => m !== leader);
  for (let i = 0; i < 20; i++) {
    await httpRequest('PUT', `${leader.clientURL}/v2/keys/q`, `value=${i}`);
    const r = await httpRequest('GET', `${followers[i % 2]!.clientURL}/v2/keys/q?quorum=true`);
    assert.equal(r.json.node.value, String(i));
  }
});

test('killing the leader elects a new one, writes resume, and the old leader catches up on restart', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  for (let i = 0; i < 20; i++) await httpRequest('PUT', `${leader.clientURL}/v2/keys/k${i}`, `value=${i}`);
  await leader.kill('SIGKILL');
  const rest = members.filter((m) => m !== leader);
  const next = await leaderOf(rest);
  assert.notEqual(next, leader);
  const put = await httpRequest('PUT', `${next.clientURL}/v2/keys/after`, 'value=new-leader');
  assert.equal(put.status, 201);
  leader.start();
  await waitReady(leader);
  await eventually(
    async () => {
      const r = await httpRequest('GET', `${leader.clientURL}/v2/keys/after`);
      return r.json?.node?.value === 'new-leader';
    },
    15_000,
    'the restarted member to catch up',
  );
  const all = await httpRequest('GET', `${leader.clientURL}/v2/keys/?recursive=true&sorted=true`);
  assert.equal(all.json.node.nodes.length, 21);
});

test('a member paused with SIGSTOP rejoins after SIGCONT and catches up', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  const paused = members.find((m) => m !== leader)!;
  paused.proc!.kill('SIGSTOP');
  t.after(() => paused.proc?.kill('SIGCONT'));
  for (let i = 0; i < 30; i++) {
    const r = await httpRequest('PUT', `${leader.clientURL}/v2/keys/p${i}`, `value=${i}`);
    assert.ok(r.status < 300, `write ${i} with one member paused: ${r.status} ${r.body}`);
  }
  paused.proc!.kill('SIGCONT');
  await eventually(
    async () => {
      const r = await httpRequest('GET', `${paused.clientURL}/v2/keys/p29`);
      return r.json?.node?.value === '29';
    },
    15_000,
    'the paused member to catch up',
  );
});

test('graceful SIGTERM of the leader hands leadership to another member first', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  leader.proc!.kill('SIGTERM');
  assert.equal(await leader.waitExit(15_000), 0);
  assert.match(leader.stderr, /transferring leadership/);
  const rest = members.filter((m) => m !== leader);
  const next = await leaderOf(rest);
  const put = await httpRequest('PUT', `${next.clientURL}/v2/keys/x`, 'value=1');
  assert.equal(put.status, 201);
});

test('a member added at runtime joins with initial-cluster-state existing, and a removed one stops', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  await httpRequest('PUT', `${leader.clientURL}/v2/keys/before-join`, 'value=1');
  const spec = {
    name: 'm4',
    clientPort: await freePort(),
    peerPort: await freePort(),
    dataDir: join(members[0]!.spec.dataDir, '..', 'm4'),
  };
  const add = await httpRequest(
    'POST',
    `${leader.clientURL}/v2/members`,
    JSON.stringify({ peerURLs: [`http://127.0.0.1:${spec.peerPort}`] }),
    10_000,
    'application/json',
  );
  assert.equal(add.status, 201, add.body);
  const initial = [...members.map((m) => `${m.spec.name}=${m.peerURL}`), `m4=http://127.0.0.1:${spec.peerPort}`].join(
    ',',
  );
  const m4 = new MemberProcess(spec, memberArgs(spec, initial, 'existing'));
  t.after(() => m4.kill());
  m4.start();
  await waitReady(m4);
  await eventually(
    async () => (await httpRequest('GET', `${m4.clientURL}/v2/keys/before-join`)).json?.node?.value === '1',
    15_000,
    'm4 to catch up',
  );
  const list = await httpRequest('GET', `${leader.clientURL}/v2/members`);
  assert.equal(list.json.members.length, 4);
  assert.ok(list.json.members.some((m: { name: string }) => m.name === 'm4'));

  const victim = members.find((m) => m !== leader)!;
  const id = list.json.members.find((m: { name: string }) => m.name === victim.spec.name).id;
  const del = await httpRequest('DELETE', `${leader.clientURL}/v2/members/${id}`);
  assert.equal(del.status, 204);
  assert.equal(await victim.waitExit(15_000), 0);
  const after = await httpRequest('GET', `${leader.clientURL}/v2/members`);
  assert.equal(after.json.members.length, 3);
  await leaderOf([...members.filter((m) => m !== victim), m4]);
  const put = await httpRequest('PUT', `${leader.clientURL}/v2/keys/after-remove`, 'value=ok');
  assert.equal(put.status, 201);
});

test('a member far behind the leader catches up through a snapshot', async (t) => {
  const members = await startCluster(t, 3, ['--snapshot-count', '40']);
  const leader = await leaderOf(members);
  const lagging = members.find((m) => m !== leader)!;
  await lagging.kill('SIGKILL');
  for (let i = 0; i < 200; i++) await httpRequest('PUT', `${leader.clientURL}/v2/keys/s/k${i % 50}`, `value=${i}`);
  const expected = await httpRequest('GET', `${leader.clientURL}/v2/keys/s?recursive=true&sorted=true`);
  lagging.start();
  await waitReady(lagging);
  await eventually(
    async () => (await httpRequest('GET', `${lagging.clientURL}/v2/keys/s/k49`)).json?.node?.value === '199',
    20_000,
    'the lagging member to catch up',
  );
  const got = await httpRequest('GET', `${lagging.clientURL}/v2/keys/s?recursive=true&sorted=true`);
  assert.deepEqual(got.json, expected.json);
  assert.match(lagging.stderr, /installed snapshot from leader/);
});

test('without a quorum a write fails after a bounded time with etcd error 300 and /health turns 503', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  const survivor = members.find((m) => m !== leader)!;
  await Promise.all(members.filter((m) => m !== survivor).map((m) => m.kill('SIGKILL')));
  const started = Date.now();
  const put = await httpRequest('PUT', `${survivor.clientURL}/v2/keys/lost`, 'value=1', 20_000);
  const waited = Date.now() - started;
  assert.equal(put.status, 500);
  assert.equal(put.json.errorCode, 300);
  assert.equal(put.json.message, 'Raft Internal Error');
  assert.match(put.json.cause, /request timed out/);
  assert.ok(waited < 15_000, `answered after ${waited} ms`);
  const health = await eventually(
    async () => {
      const r = await httpRequest('GET', `${survivor.clientURL}/health`);
      return r.status === 503 ? r : null;
    },
    10_000,
    '/health to report the lost leader',
  );
  assert.equal(health.body, '{"health":"false"}\n');
});

test('the leader reports follower latency and counts in /v2/stats/leader; a follower answers 403', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  for (let i = 0; i < 10; i++) await httpRequest('PUT', `${leader.clientURL}/v2/keys/st${i}`, 'value=x');
  const r = await httpRequest('GET', `${leader.clientURL}/v2/stats/leader`);
  assert.equal(r.status, 200);
  const ids = Object.keys(r.json.followers);
  assert.equal(ids.length, 2);
  for (const id of ids) {
    const f = r.json.followers[id];
    assert.deepEqual(Object.keys(f.latency).sort(), ['average', 'current', 'maximum', 'minimum', 'standardDeviation']);
    assert.ok(f.counts.success > 0);
    assert.ok(f.latency.maximum >= f.latency.minimum);
  }
  const follower = members.find((m) => m !== leader)!;
  const denied = await httpRequest('GET', `${follower.clientURL}/v2/stats/leader`);
  assert.equal(denied.status, 403);
});

test('a watch on a member that installs a snapshot from the leader is ended, as etcd ends it', async (t) => {
  const members = await startCluster(t, 3, ['--snapshot-count', '40']);
  const leader = await leaderOf(members);
  const follower = members.find((m) => m !== leader)!;
  const watch = await openWatch(`${follower.clientURL}/v2/keys/watched?wait=true`);
  assert.equal(watch.status, 200);
  const drops = () => leader.stderr.split('peer did not answer a ping; reconnecting').length;
  const dropsBefore = drops();
  follower.proc!.kill('SIGSTOP');
  t.after(() => follower.proc?.kill('SIGCONT'));
  // The leader drops the silent peer's session (5 s ping timeout): what it writes next is not
  // queued for the follower, so the follower must catch up by snapshot.
  await eventually(async () => drops() > dropsBefore, 20_000, 'the leader to drop the stopped follower');
  for (let i = 0; i < 200; i++) await httpRequest('PUT', `${leader.clientURL}/v2/keys/s/k${i % 50}`, `value=${i}`);
  follower.proc!.kill('SIGCONT');
  const body = await within(watch.ended, 20_000, 'the watch to end once the member installed the snapshot').catch(
    (err: Error) => assert.fail(`${err.message}:\n${follower.stderr.slice(-2000)}`),
  );
  assert.equal(body, '');
  await eventually(async () => /installed snapshot from leader/.test(follower.stderr), 5000, 'the snapshot install');
});
