// Disaster recovery: a kvctl backup of one member, the cluster lost, the
// backup started with --force-new-cluster as a one-member cluster that keeps
// every key, index and TTL, then grown back to three with kvctl member add.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { kvctl, kvctlAt } from '../kvctl/support.js';
import {
  eventually,
  freePort,
  httpRequest,
  MemberProcess,
  memberArgs,
  startCluster,
  tempDir,
  waitReady,
  type MemberSpec,
} from '../support/procs.js';

/** The whole tree, as a client sees it: every node with its indexes and expiration (ttl counts down, so it is left out). */
async function tree(clientURL: string, quorum = false): Promise<{ index: string; nodes: unknown }> {
  const r = await httpRequest('GET', `${clientURL}/v2/keys/?recursive=true&sorted=true${quorum ? '&quorum=true' : ''}`);
  assert.equal(r.status, 200, r.body);
  return {
    index: String(r.headers['x-etcd-index']),
    nodes: JSON.parse(r.body, (k, v) => (k === 'ttl' ? undefined : v)).node.nodes,
  };
}

test('a backup restored with --force-new-cluster keeps every key, index and TTL, takes writes, grows back to three members, and stays so restarted without the flag', async (t) => {
  const old = await startCluster(t, 3);
  const leader = old[0]!.clientURL;
  for (let i = 0; i < 20; i++)
    assert.equal((await httpRequest('PUT', `${leader}/v2/keys/app/k${i}`, `value=v${i}`)).status, 201);
  await httpRequest('PUT', `${leader}/v2/keys/app/k3`, 'value=changed');
  await httpRequest('DELETE', `${leader}/v2/keys/app/k4`);
  await httpRequest('PUT', `${leader}/v2/keys/session`, 'value=alive&ttl=600');
  await httpRequest('POST', `${leader}/v2/keys/queue`, 'value=job');
  const before = await tree(old[1]!.clientURL, true);
  const oldCluster = (await httpRequest('GET', `${old[1]!.clientURL}/v2/members`)).headers['x-etcd-cluster-id'];

  const backupDir = join(tempDir(t), 'm2.backup');
  assert.deepEqual(await kvctl(['backup', '--data-dir', old[1]!.spec.dataDir, '--backup-dir', backupDir]), {
    code: 0,
    stdout: '',
    stderr: '',
  });
  await Promise.all(old.map((m) => m.kill('SIGKILL')));

  const specs: MemberSpec[] = [];
  for (let i = 1; i <= 3; i++)
    specs.push({
      name: `r${i}`,
      clientPort: await freePort(),
      peerPort: await freePort(),
      dataDir: join(tempDir(t), `r${i}`),
    });
  specs[0] = { ...specs[0]!, dataDir: backupDir };
  const url = (s: MemberSpec) => `r${s.name.slice(1)}=http://127.0.0.1:${s.peerPort}`;
  const r1 = new MemberProcess(specs[0]!, [...memberArgs(specs[0]!, url(specs[0]!), 'new'), '--force-new-cluster']);
  t.after(() => r1.kill());
  r1.start();
  await waitReady(r1);

  const restored = await tree(r1.clientURL, true);
  assert.deepEqual(restored, before);
  const members = await httpRequest('GET', `${r1.clientURL}/v2/members`);
  assert.deepEqual(
    members.json.members.map((m: { peerURLs: string[] }) => m.peerURLs),
    [[r1.peerURL]],
  );
  assert.notEqual(members.headers['x-etcd-cluster-id'], oldCluster);
  const write = await httpRequest('PUT', `${r1.clientURL}/v2/keys/after`, 'value=recovered');
  assert.equal(write.status, 201);
  assert.equal(write.json.node.modifiedIndex, Number(before.index) + 1);

  const grown = [r1];
  for (const s of specs.slice(1)) {
    const added = await kvctlAt(r1.clientURL, ['member', 'add', s.name, `http://127.0.0.1:${s.peerPort}`]);
    assert.equal(added.code, 0, added.stderr);
    const m = new MemberProcess(s, memberArgs(s, [...grown.map((g) => url(g.spec)), url(s)].join(','), 'existing'));
    t.after(() => m.kill());
    m.start();
    await waitReady(m);
    grown.push(m);
  }
  const want = await tree(r1.clientURL, true);
  for (const m of grown) {
    await eventually(
      async () => JSON.stringify(await tree(m.clientURL)) === JSON.stringify(want),
      15_000,
      `${m.spec.name} to catch up`,
    );
    assert.deepEqual(await tree(m.clientURL, true), want, m.spec.name);
  }
  const session = (await httpRequest('GET', `${grown[2]!.clientURL}/v2/keys/session`)).json.node;
  assert.ok(session.ttl > 500 && session.ttl <= 600, JSON.stringify(session));

  // Restarted without the flag, r1 goes on in the cluster it forced, with the members added since.
  await r1.kill('SIGTERM');
  const again = new MemberProcess(specs[0]!, memberArgs(specs[0]!, url(specs[0]!), 'new'));
  t.after(() => again.kill());
  again.start();
  await waitReady(again);
  const after = await httpRequest('GET', `${again.clientURL}/v2/members`);
  assert.equal(after.headers['x-etcd-cluster-id'], members.headers['x-etcd-cluster-id']);
  assert.equal(after.json.members.length, 3);
});

test('force-new-cluster on a data dir without a member is refused, naming the data dir', async (t) => {
  const spec: MemberSpec = {
    name: 'empty',
    clientPort: await freePort(),
    peerPort: await freePort(),
    dataDir: join(tempDir(t), 'nothing-here'),
  };
  const m = new MemberProcess(spec, [
    ...memberArgs(spec, `empty=http://127.0.0.1:${spec.peerPort}`, 'new'),
    '--force-new-cluster',
  ]);
  t.after(() => m.kill());
  m.start();
  assert.equal(await m.waitExit(), 1);
  assert.match(
    m.stderr,
    new RegExp(
      `kvd: force-new-cluster: data dir ${spec.dataDir} holds no member \\(no log in member/wal\\): point data-dir at a kvctl backup`,
    ),
  );
});
