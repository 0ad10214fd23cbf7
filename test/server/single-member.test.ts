// A real single kvd process on loopback, used as a new user would.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  freePort,
  httpRequest,
  kvdBin,
  MemberProcess,
  memberArgs,
  openWatch,
  tempDir,
  waitReady,
} from '../support/procs.js';

async function startOne(t: import('node:test').TestContext, extra: string[] = []): Promise<MemberProcess> {
  const dir = tempDir(t);
  const spec = {
    name: 'solo',
    clientPort: await freePort(),
    peerPort: await freePort(),
    dataDir: join(dir, 'solo.kvd'),
  };
  const m = new MemberProcess(spec, memberArgs(spec, `solo=http://127.0.0.1:${spec.peerPort}`, 'new', extra));
  t.after(() => m.kill());
  m.start();
  await waitReady(m);
  return m;
}

test("the README's curl examples set, get and delete a key", async (t) => {
  const m = await startOne(t);
  const put = await httpRequest('PUT', `${m.clientURL}/v2/keys/message`, 'value=Hello');
  assert.equal(put.status, 201);
  assert.equal(put.json.action, 'set');
  assert.equal(put.json.node.value, 'Hello');
  const get = await httpRequest('GET', `${m.clientURL}/v2/keys/message`);
  assert.equal(get.status, 200);
  assert.equal(get.json.node.value, 'Hello');
  assert.equal(get.headers['x-etcd-index'], String(put.json.node.modifiedIndex));
  const del = await httpRequest('DELETE', `${m.clientURL}/v2/keys/message`);
  assert.equal(del.status, 200);
  assert.equal(del.json.action, 'delete');
  assert.equal(del.json.prevNode.value, 'Hello');
  const gone = await httpRequest('GET', `${m.clientURL}/v2/keys/message`);
  assert.equal(gone.status, 404);
  assert.equal(gone.json.errorCode, 100);
});

test('a restarted member serves the same tree, indexes included', async (t) => {
  const m = await startOne(t);
  for (let i = 0; i < 50; i++) await httpRequest('PUT', `${m.clientURL}/v2/keys/dir/k${i}`, `value=v${i}`);
  await httpRequest('PUT', `${m.clientURL}/v2/keys/ttl`, 'value=x&ttl=300');
  await httpRequest('DELETE', `${m.clientURL}/v2/keys/dir/k7`);
  const before = await httpRequest('GET', `${m.clientURL}/v2/keys/?recursive=true&sorted=true`);
  await m.kill('SIGKILL');
  m.start();
  await waitReady(m);
  const after = await httpRequest('GET', `${m.clientURL}/v2/keys/?recursive=true&sorted=true`);
  const strip = (b: any) => JSON.parse(JSON.stringify(b, (k, v) => (k === 'ttl' ? undefined : v)));
  assert.deepEqual(strip(after.json), strip(before.json));
  assert.equal(after.headers['x-etcd-index'], before.headers['x-etcd-index']);
});

test('a key with a TTL expires on time and its watcher sees the expire event', async (t) => {
  const m = await startOne(t);
  const put = await httpRequest('PUT', `${m.clientURL}/v2/keys/short`, 'value=bye&ttl=1');
  assert.equal(put.json.node.ttl, 1);
  const watch = await httpRequest(
    'GET',
    `${m.clientURL}/v2/keys/short?wait=true&waitIndex=${put.json.node.modifiedIndex + 1}`,
    undefined,
    5000,
  );
  assert.equal(watch.json.action, 'expire');
  assert.equal(watch.json.prevNode.value, 'bye');
  const gone = await httpRequest('GET', `${m.clientURL}/v2/keys/short`);
  assert.equal(gone.status, 404);
});

test("index and ttl arguments beyond 2^53 get etcd's answers through the log, and a restart replays them", async (t) => {
  const m = await startOne(t);
  const put = await httpRequest('PUT', `${m.clientURL}/v2/keys/big`, 'value=1');
  const index = put.json.node.modifiedIndex as number;
  for (const prevIndex of ['9007199254740992', '9007199254740993', '18446744073709551615']) {
    for (const [method, body] of [
      ['PUT', 'value=2'],
      ['DELETE', undefined],
    ] as const) {
      const r = await httpRequest(method, `${m.clientURL}/v2/keys/big?prevIndex=${prevIndex}`, body);
      assert.equal(r.status, 412, `${method} prevIndex=${prevIndex}`);
      assert.equal(
        r.body,
        `{"errorCode":101,"message":"Compare failed","cause":"[${prevIndex} != ${index}]","index":${index}}\n`,
      );
    }
  }
  const overflow = await httpRequest('DELETE', `${m.clientURL}/v2/keys/big?prevIndex=18446744073709551616`);
  assert.equal(overflow.status, 400);
  assert.equal(overflow.json.errorCode, 203);
  const forever = await httpRequest('PUT', `${m.clientURL}/v2/keys/forever`, 'value=x&ttl=18446744073709551615');
  assert.equal(forever.status, 201);
  assert.ok(forever.json.node.ttl > 100 * 365 * 24 * 3600);
  await m.kill('SIGKILL');
  m.start();
  await waitReady(m);
  const after = await httpRequest('GET', `${m.clientURL}/v2/keys/big`);
  assert.equal(after.json.node.value, '1');
  assert.equal(after.headers['x-etcd-index'], String(forever.json.node.modifiedIndex));
});

test('SIGTERM ends open watches cleanly and the member exits 0', async (t) => {
  const m = await startOne(t);
  const watch = await openWatch(`${m.clientURL}/v2/keys/never?wait=true`);
  m.proc!.kill('SIGTERM');
  const code = await m.waitExit(10_000);
  assert.equal(code, 0);
  await assert.doesNotReject(watch.ended, 'the watch ended cleanly, not broken off');
});

test('a data dir of another member is refused with a message naming it', async (t) => {
  const m = await startOne(t);
  await m.kill('SIGTERM');
  const peer = await freePort();
  const client = await freePort();
  const r = spawnSync(
    process.execPath,
    [
      kvdBin,
      ...memberArgs(
        { ...m.spec, name: 'other', peerPort: peer, clientPort: client },
        `other=http://127.0.0.1:${peer}`,
        'new',
      ),
    ],
    {
      encoding: 'utf8',
      timeout: 20_000,
    },
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /belongs to member "solo"/);
});

test('kvd --version and --help answer without starting a member', () => {
  const v = spawnSync(process.execPath, [kvdBin, '--version'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(v.status, 0);
  assert.match(v.stdout, /kvd Version: \d+\.\d+\.\d+/);
  const h = spawnSync(process.execPath, [kvdBin, '--help'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(h.status, 0);
  assert.match(h.stdout, /--initial-cluster/);
});

test('a bad flag value is refused at start naming the key and the value', () => {
  const r = spawnSync(process.execPath, [kvdBin, '--snapshot-count', 'many'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /snapshot-count/);
  assert.match(r.stderr, /many/);
});

test('a second kvd on a data dir in use is refused, naming the owner', async (t) => {
  const m = await startOne(t);
  const peer = await freePort();
  const client = await freePort();
  const r = spawnSync(
    process.execPath,
    [kvdBin, ...memberArgs({ ...m.spec, peerPort: peer, clientPort: client }, `solo=http://127.0.0.1:${peer}`, 'new')],
    {
      encoding: 'utf8',
      timeout: 20_000,
    },
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, new RegExp(`in use by process ${m.proc!.pid}`));
  const still = await httpRequest('GET', `${m.clientURL}/health`);
  assert.equal(still.status, 200);
  await m.kill('SIGKILL');
  const second = new MemberProcess(
    { ...m.spec, peerPort: peer, clientPort: client },
    memberArgs({ ...m.spec, peerPort: peer, clientPort: client }, `solo=http://127.0.0.1:${peer}`, 'new'),
  );
  t.after(() => second.kill());
  second.start();
  await waitReady(second);
});

test('a stale lock naming a live unrelated process (pid 1) does not stop a restart', async (t) => {
  const m = await startOne(t);
  await httpRequest('PUT', `${m.clientURL}/v2/keys/kept`, 'value=1');
  await m.kill('SIGKILL');
  writeFileSync(join(m.spec.dataDir, 'member', 'lock'), '1\n');
  m.start();
  await waitReady(m);
  assert.equal((await httpRequest('GET', `${m.clientURL}/v2/keys/kept`)).json.node.value, '1');
});
