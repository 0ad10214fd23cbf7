// Users, roles and the enabled flag are state-machine data: they survive a
// SIGKILL (replayed from the log, or restored from a snapshot), reach a
// lagging member by snapshot install, and segdump shows them readably
// without their password hashes.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  eventually,
  freePort,
  MemberProcess,
  memberArgs,
  leaderOf,
  startCluster,
  tempDir,
  waitReady,
  type Reply,
} from '../support/procs.js';

const root = new URL('../..', import.meta.url).pathname;
const segdumpBin = join(root, 'dist/tools/segdump.js');

function call(method: string, url: string, opts: { body?: string; as?: string; type?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
  if (opts.as !== undefined) headers.authorization = 'Basic ' + Buffer.from(opts.as).toString('base64');
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** root, a role "app" reading and writing /app/*, user alice with it, a guest that may read /pub/* only, auth on. */
async function setUpAuth(base: string): Promise<void> {
  const steps: Array<[string, string, object, string?]> = [
    ['PUT', '/v2/auth/users/root', { user: 'root', password: 'rootpw' }],
    ['PUT', '/v2/auth/roles/app', { role: 'app', permissions: { kv: { read: ['/app/*'], write: ['/app/*'] } } }],
    ['PUT', '/v2/auth/users/alice', { user: 'alice', password: 'alicepw', roles: ['app'] }],
    ['PUT', '/v2/auth/roles/guest', { role: 'guest', permissions: { kv: { read: ['/pub/*'], write: [] } } }],
  ];
  for (const [method, path, body] of steps) {
    const r = await call(method, base + path, { body: JSON.stringify(body) });
    assert.ok(r.status === 200 || r.status === 201, `${path}: ${r.status} ${r.body}`);
  }
  assert.equal((await call('PUT', `${base}/v2/auth/enable`)).status, 200);
}

/** What setUpAuth built, seen through the API. */
async function assertAuthIntact(base: string): Promise<void> {
  assert.deepEqual((await call('GET', `${base}/v2/auth/enable`)).json, { enabled: true });
  assert.equal((await call('GET', `${base}/v2/auth/users`)).status, 401);
  const users = await call('GET', `${base}/v2/auth/users`, { as: 'root:rootpw' });
  assert.deepEqual(
    users.json.users.map((u: { user: string }) => u.user),
    ['alice', 'root'],
  );
  assert.equal(
    (
      await call('PUT', `${base}/v2/keys/app/k`, {
        body: 'value=v',
        type: 'application/x-www-form-urlencoded',
        as: 'alice:alicepw',
      })
    ).status,
    201,
  );
  assert.equal((await call('GET', `${base}/v2/keys/other`, { as: 'alice:alicepw' })).status, 401);
  assert.equal((await call('GET', `${base}/v2/keys/app/k`, { as: 'alice:wrong' })).status, 401);
  assert.equal((await call('GET', `${base}/v2/keys/app/k`)).status, 401);
}

async function solo(t: TestContext, extra: string[] = []): Promise<MemberProcess> {
  const dir = tempDir(t);
  const spec = { name: 'a', clientPort: await freePort(), peerPort: await freePort(), dataDir: join(dir, 'a.kvd') };
  const m = new MemberProcess(spec, memberArgs(spec, `a=http://127.0.0.1:${spec.peerPort}`, 'new', extra));
  t.after(() => m.kill());
  m.start();
  await waitReady(m);
  return m;
}

test('users, roles and the enabled flag survive SIGKILL, replayed from the log', async (t) => {
  const m = await solo(t);
  await setUpAuth(m.clientURL);
  await m.kill('SIGKILL');
  m.start();
  await waitReady(m);
  await assertAuthIntact(m.clientURL);
});

test('users, roles and the enabled flag survive SIGKILL, restored from a snapshot', async (t) => {
  const m = await solo(t, ['--snapshot-count', '5']);
  await setUpAuth(m.clientURL);
  for (let i = 0; i < 10; i++)
    await call('PUT', `${m.clientURL}/v2/keys/pub/k${i}`, {
      body: 'value=v',
      type: 'application/x-www-form-urlencoded',
      as: 'root:rootpw',
    });
  await eventually(async () => /snapshot saved/.test(m.stderr), 10_000, 'a snapshot');
  await m.kill('SIGKILL');
  const shown = spawnSync(process.execPath, [segdumpBin, 'snapshot', m.spec.dataDir], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.match(
    shown.stdout,
    /^auth: {4}enabled; users: alice \(app\), root \(root\); roles: app, guest$/m,
    'segdump snapshot names users and roles',
  );
  assert.doesNotMatch(shown.stdout, /\$2[aby]\$/);
  m.start();
  await waitReady(m);
  await assertAuthIntact(m.clientURL);
  assert.equal((await call('GET', `${m.clientURL}/v2/keys/pub/k1`)).status, 200, 'the guest role still reads /pub/*');
});

test('a member far behind gets users and roles through a snapshot from the leader', async (t) => {
  const members = await startCluster(t, 3, ['--snapshot-count', '40']);
  // The lagging member is a follower: a write forwarded to a killed leader would only time out.
  const leader = await leaderOf(members);
  const lagging = members.find((m) => m !== leader)!;
  await lagging.kill('SIGKILL');
  await setUpAuth(leader.clientURL);
  for (let i = 0; i < 200; i++) {
    await call('PUT', `${leader.clientURL}/v2/keys/app/k${i % 20}`, {
      body: `value=${i}`,
      type: 'application/x-www-form-urlencoded',
      as: 'root:rootpw',
    });
  }
  lagging.start();
  await waitReady(lagging);
  await eventually(async () => /installed snapshot from leader/.test(lagging.stderr), 20_000, 'the snapshot install');
  await assertAuthIntact(lagging.clientURL);
});

test('a change to users made on a follower goes through the leader and reaches every member', async (t) => {
  const members = await startCluster(t, 3);
  for (const m of members) {
    const name = `u-${m.spec.name}`;
    assert.equal(
      (
        await call('PUT', `${m.clientURL}/v2/auth/users/${name}`, {
          body: JSON.stringify({ user: name, password: 'p' }),
        })
      ).status,
      201,
    );
  }
  for (const m of members) {
    await eventually(
      async () => (await call('GET', `${m.clientURL}/v2/auth/users`)).json?.users?.length === 3,
      5000,
      `three users on ${m.spec.name}`,
    );
  }
});

test('segdump shows auth changes by name and never a password hash', async (t) => {
  const m = await solo(t);
  await setUpAuth(m.clientURL);
  await m.kill('SIGKILL');
  const dump = spawnSync(process.execPath, [segdumpBin, 'dump', m.spec.dataDir, '--json'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(dump.status, 0, dump.stderr);
  const entries = dump.stdout
    .split('\n')
    .filter((l) => l.includes('"method"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const auth = entries
    .filter((e) => /^(USER|ROLE|AUTH)-/.test(String(e.method)))
    .map((e) => [e.method, e.user ?? e.role ?? null, e.password ?? null]);
  assert.deepEqual(auth, [
    ['USER-PUT', 'root', 'set'],
    ['ROLE-CREATE', 'app', null],
    ['USER-CREATE', 'alice', 'set'],
    ['ROLE-CREATE', 'guest', null],
    ['AUTH-ENABLE', null, null],
  ]);
  assert.doesNotMatch(dump.stdout, /\$2[aby]\$/, 'no bcrypt hash in the dump');
});
