// etcd 3.4's v2 auth, asked the same questions as kvd: every step goes to a
// real etcd (--enable-v2) and to a kvd member, and the answers must be the
// same: status, the headers etcd sets, and the body (indexes and in-order key
// names aside, which count differently: etcd keeps its users in its store).

import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { EtcdProcess, etcdSkip } from '../support/etcd.js';
import { freePort, MemberProcess, memberArgs, tempDir, waitReady } from '../support/procs.js';

interface Step {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly type?: string;
  /** "user:password" for basic auth. */
  readonly as?: string;
  readonly headers?: Record<string, string>;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | boolean>;
  readonly body: string;
}

/** Headers compared by value; the cluster id and etcd index only by presence (their values differ by nature). */
const COMPARED = ['content-type', 'allow', 'x-content-type-options', 'transfer-encoding'];

function send(base: string, s: Step): Promise<Answer> {
  const headers: Record<string, string> = { ...s.headers };
  if (s.body !== undefined) headers['content-type'] = s.type ?? 'application/json';
  if (s.as !== undefined) headers.authorization = 'Basic ' + Buffer.from(s.as).toString('base64');
  return new Promise((resolve, reject) => {
    const req = http.request(base + s.path, { method: s.method, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const h: Record<string, string | boolean> = {};
        for (const name of COMPARED) if (res.headers[name] !== undefined) h[name] = String(res.headers[name]);
        h['x-etcd-cluster-id'] = res.headers['x-etcd-cluster-id'] !== undefined;
        h['x-etcd-index'] = res.headers['x-etcd-index'] !== undefined;
        const normalised = body
          .replace(/"(index|modifiedIndex|createdIndex)":\d+/g, '"$1":N')
          .replace(/\/\d{20}"/g, '/SEQ"');
        resolve({ status: res.statusCode ?? 0, headers: h, body: normalised });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${s.method} ${s.path}`)));
    req.on('error', reject);
    req.end(s.body);
  });
}

let etcd = '';
let kvd = '';

before(async (t) => {
  if (etcdSkip) return;
  const ctx = t as unknown as import('node:test').TestContext;
  const e = await EtcdProcess.start(ctx);
  etcd = e.clientURL;
  const dir = tempDir(ctx);
  const spec = {
    name: 'auth',
    clientPort: await freePort(),
    peerPort: await freePort(),
    dataDir: join(dir, 'auth.kvd'),
  };
  const m = new MemberProcess(spec, memberArgs(spec, `auth=http://127.0.0.1:${spec.peerPort}`, 'new'));
  process.on('exit', () => m.proc?.kill('SIGKILL'));
  ctx.after(() => m.kill());
  m.start();
  await waitReady(m);
  kvd = m.clientURL;
});

/** Sends each step to both, in order, and asserts equal answers step by step. */
async function same(steps: readonly Step[]): Promise<void> {
  for (const s of steps) {
    const [want, got] = await Promise.all([send(etcd, s), send(kvd, s)]);
    assert.deepEqual(got, want, `${s.method} ${s.path} ${s.body ?? ''} as ${s.as ?? 'nobody'}`);
  }
}

const opts = { skip: etcdSkip };
const json = (v: unknown): string => JSON.stringify(v);

test('with auth disabled, users are created, read, listed, changed and deleted with etcd answers', opts, async () => {
  await same([
    { method: 'GET', path: '/v2/auth/enable' },
    { method: 'GET', path: '/v2/auth/users' },
    { method: 'GET', path: '/v2/auth/users/root' },
    { method: 'PUT', path: '/v2/auth/users/root', body: json({ user: 'root' }) },
    { method: 'PUT', path: '/v2/auth/users/root', body: json({ user: 'root', password: 'rootpw' }) },
    { method: 'GET', path: '/v2/auth/users/root' },
    { method: 'PUT', path: '/v2/auth/users/carol', body: json({ user: 'carol', password: 'c' }) },
    { method: 'GET', path: '/v2/auth/users/carol' },
    { method: 'PUT', path: '/v2/auth/users/carol', body: json({ user: 'carol' }) },
    { method: 'PUT', path: '/v2/auth/users/carol', body: json({ user: 'carol', grant: ['nobody-has-it'] }) },
    { method: 'GET', path: '/v2/auth/users/carol' },
    { method: 'GET', path: '/v2/auth/users' },
    { method: 'PUT', path: '/v2/auth/users/carol', body: json({ user: 'carol', grant: ['nobody-has-it'] }) },
    { method: 'PUT', path: '/v2/auth/users/carol', body: json({ user: 'carol', revoke: ['other'] }) },
    { method: 'PUT', path: '/v2/auth/users/carol', body: json({ user: 'carol', revoke: ['nobody-has-it'] }) },
    { method: 'PUT', path: '/v2/auth/users/carol', body: json({ user: 'carol' }) },
    { method: 'PUT', path: '/v2/auth/users/dan', body: json({ User: 'dan', PASSWORD: 'd', roles: ['z', 'a', 'z'] }) },
    { method: 'PUT', path: '/v2/auth/users/dan', body: json({ user: 'dan', password: 'd', roles: ['x'] }) },
    { method: 'PUT', path: '/v2/auth/users/dan', body: json({ user: 'dan', roles: ['x'] }) },
    { method: 'PUT', path: '/v2/auth/users/eve', body: json({ user: 'eve', grant: ['x'] }) },
    { method: 'DELETE', path: '/v2/auth/users/dan' },
    { method: 'DELETE', path: '/v2/auth/users/dan' },
    { method: 'DELETE', path: '/v2/auth/users/carol' },
    { method: 'GET', path: '/v2/auth/users' },
  ]);
});

test('roles are created, granted and revoked key patterns, and deleted with etcd answers', opts, async () => {
  await same([
    { method: 'GET', path: '/v2/auth/roles' },
    { method: 'PUT', path: '/v2/auth/roles/foo', body: json({ role: 'foo' }) },
    { method: 'PUT', path: '/v2/auth/roles/foo', body: json({ role: 'foo' }) },
    { method: 'GET', path: '/v2/auth/roles/foo' },
    {
      method: 'PUT',
      path: '/v2/auth/roles/bar',
      body: json({ role: 'bar', permissions: { kv: { read: ['/bar/*'], write: [] } } }),
    },
    {
      method: 'PUT',
      path: '/v2/auth/roles/foo',
      body: json({ role: 'foo', grant: { kv: { read: ['/foo/*', '/a'], write: ['/foo/*'] } } }),
    },
    { method: 'PUT', path: '/v2/auth/roles/foo', body: json({ role: 'foo', grant: { kv: { read: ['/foo/*'] } } }) },
    { method: 'PUT', path: '/v2/auth/roles/foo', body: json({ role: 'foo', grant: { kv: { write: ['/w', '/w'] } } }) },
    { method: 'PUT', path: '/v2/auth/roles/foo', body: json({ role: 'foo', revoke: { kv: { read: ['/zzz'] } } }) },
    { method: 'PUT', path: '/v2/auth/roles/foo', body: json({ role: 'foo', revoke: { kv: { read: ['/a'] } } }) },
    {
      method: 'PUT',
      path: '/v2/auth/roles/foo',
      body: json({ role: 'foo', grant: { kv: { read: ['/x'] } }, permissions: { kv: { read: ['/y'] } } }),
    },
    { method: 'PUT', path: '/v2/auth/roles/emp', body: json({ role: 'emp', grant: { kv: { read: [] } } }) },
    { method: 'GET', path: '/v2/auth/roles/emp' },
    { method: 'PUT', path: '/v2/auth/roles/emp', body: json({ role: 'emp', revoke: { kv: { write: ['/none'] } } }) },
    { method: 'PUT', path: '/v2/auth/roles/emp', body: json({ role: 'emp', revoke: { kv: { write: ['/none'] } } }) },
    { method: 'PUT', path: '/v2/auth/roles/root', body: json({ role: 'root' }) },
    { method: 'PUT', path: '/v2/auth/roles/root', body: json({ role: 'root', grant: { kv: { read: ['/x'] } } }) },
    { method: 'DELETE', path: '/v2/auth/roles/root' },
    { method: 'GET', path: '/v2/auth/roles/root' },
    { method: 'DELETE', path: '/v2/auth/roles/nope' },
    { method: 'PUT', path: '/v2/auth/roles/nope', body: json({ role: 'nope', grant: { kv: { read: ['/x'] } } }) },
    { method: 'GET', path: '/v2/auth/roles/guest' },
    { method: 'PUT', path: '/v2/auth/users/alice', body: json({ user: 'alice', password: 'a', roles: ['foo'] }) },
    { method: 'PUT', path: '/v2/auth/users/alice', body: json({ user: 'alice', grant: ['bar', 'emp'] }) },
    { method: 'GET', path: '/v2/auth/users/alice' },
    { method: 'DELETE', path: '/v2/auth/roles/emp' },
    { method: 'GET', path: '/v2/auth/users/alice' },
    { method: 'GET', path: '/v2/auth/users' },
    { method: 'GET', path: '/v2/auth/roles' },
  ]);
});

test('bad bodies, paths and methods get etcd 400, 404 and 405 answers', opts, async () => {
  await same([
    { method: 'PUT', path: '/v2/auth/users/x', body: 'nonsense' },
    { method: 'PUT', path: '/v2/auth/users/x', body: '' },
    { method: 'PUT', path: '/v2/auth/users/x', body: 'null' },
    { method: 'PUT', path: '/v2/auth/users/x', body: json({ user: 'x', password: 5 }) },
    { method: 'PUT', path: '/v2/auth/users/x', body: json({ user: 'y', password: 'p' }) },
    { method: 'PUT', path: '/v2/auth/users/x', body: json({ user: 'x', grant: ['a'], roles: ['b'] }) },
    {
      method: 'PUT',
      path: '/v2/auth/users/x',
      body: json({ user: 'x', password: 'p', roles: null, grant: null }) + ' trailing',
    },
    { method: 'PUT', path: '/v2/auth/roles/r', body: '[]' },
    { method: 'PUT', path: '/v2/auth/roles/r', body: json({ role: 'r', permissions: { kv: { read: 'x' } } }) },
    { method: 'PUT', path: '/v2/auth/roles/r', body: json({ role: 's' }) },
    { method: 'PUT', path: '/v2/auth/users/a/b', body: json({ user: 'a', password: 'p' }) },
    { method: 'GET', path: '/v2/auth/roles/a/b' },
    { method: 'PUT', path: '/v2/auth/users/', body: json({ user: '', password: 'p' }) },
    { method: 'GET', path: '/v2/auth/users/root/' },
    { method: 'GET', path: '/v2/auth/roles/' },
    { method: 'POST', path: '/v2/auth/users' },
    { method: 'POST', path: '/v2/auth/users/x' },
    { method: 'POST', path: '/v2/auth/enable' },
    { method: 'HEAD', path: '/v2/auth/enable' },
    { method: 'GET', path: '/v2/auth' },
    { method: 'GET', path: '/v2/auth/' },
    { method: 'GET', path: '/v2/auth/enable/' },
    { method: 'DELETE', path: '/v2/auth/users/x' },
    { method: 'DELETE', path: '/v2/auth/enable' },
  ]);
});

test('enabling auth needs a root user, creates the guest role and then needs root itself', opts, async () => {
  await same([
    { method: 'DELETE', path: '/v2/auth/users/root' },
    { method: 'PUT', path: '/v2/auth/enable' },
    { method: 'PUT', path: '/v2/auth/users/root', body: json({ user: 'root', password: 'rootpw' }) },
    { method: 'GET', path: '/v2/auth/roles/guest' },
    { method: 'PUT', path: '/v2/auth/enable' },
    { method: 'GET', path: '/v2/auth/enable' },
    { method: 'PUT', path: '/v2/auth/enable' },
    { method: 'PUT', path: '/v2/auth/enable', as: 'root:rootpw' },
    { method: 'GET', path: '/v2/auth/users' },
    { method: 'GET', path: '/v2/auth/users', as: 'root:wrong' },
    { method: 'GET', path: '/v2/auth/users', as: 'alice:a' },
    { method: 'GET', path: '/v2/auth/roles/guest', as: 'root:rootpw' },
    { method: 'GET', path: '/v2/auth/users/a/b' },
    { method: 'POST', path: '/v2/auth/users/x' },
    { method: 'DELETE', path: '/v2/auth/users/root', as: 'root:rootpw' },
    { method: 'GET', path: '/v2/keys/anything' },
    { method: 'DELETE', path: '/v2/auth/roles/guest', as: 'root:rootpw' },
  ]);
});

test('with auth enabled, keys answer by role permissions and refuse with error 110', opts, async () => {
  const form = 'application/x-www-form-urlencoded';
  await same([
    { method: 'GET', path: '/v2/keys/foo/x' },
    { method: 'PUT', path: '/v2/keys/foo/x', body: 'value=1', type: form },
    { method: 'PUT', path: '/v2/keys/foo/x', body: 'value=1', type: form, as: 'alice:a' },
    { method: 'GET', path: '/v2/keys/foo/x', as: 'alice:a' },
    { method: 'HEAD', path: '/v2/keys/foo/x', as: 'alice:a' },
    { method: 'GET', path: '/v2/keys/foo/x', as: 'alice:wrong' },
    { method: 'GET', path: '/v2/keys/foo/x', as: 'nobody:x' },
    {
      method: 'GET',
      path: '/v2/keys/foo/x',
      headers: { authorization: 'bAsIc ' + Buffer.from('alice:a').toString('base64') },
    },
    { method: 'GET', path: '/v2/keys/foo/x', headers: { authorization: 'Bearer xyz' } },
    { method: 'GET', path: '/v2/keys/foo/x', headers: { authorization: 'Basic !!!' } },
    {
      method: 'GET',
      path: '/v2/keys/foo/x',
      headers: { authorization: 'Basic ' + Buffer.from('alice').toString('base64') },
    },
    { method: 'GET', path: '/v2/keys/bar/nothing', as: 'alice:a' },
    { method: 'PUT', path: '/v2/keys/bar/x', body: 'value=1', type: form, as: 'alice:a' },
    { method: 'PUT', path: '/v2/keys/a', body: 'value=1', type: form, as: 'alice:a' },
    { method: 'GET', path: '/v2/keys/foo?recursive=true', as: 'alice:a' },
    { method: 'GET', path: '/v2/keys/foo/?recursive=true', as: 'alice:a' },
    { method: 'GET', path: '/v2/keys/?recursive=true', as: 'alice:a' },
    { method: 'GET', path: '/v2/keys/?recursive=true', as: 'root:rootpw' },
    { method: 'GET', path: '/v2/keys/foo/x?wait=true&waitIndex=1', as: 'alice:a' },
    { method: 'GET', path: '/v2/keys/bar?wait=true&waitIndex=1&recursive=true', as: 'alice:a' },
    { method: 'POST', path: '/v2/keys/foo/q', body: 'value=1', type: form, as: 'alice:a' },
    { method: 'POST', path: '/v2/keys/zz', body: 'value=1', type: form, as: 'alice:a' },
    { method: 'PUT', path: '/v2/keys/foo/y?recursive=true', body: 'value=1', type: form, as: 'alice:a' },
    { method: 'DELETE', path: '/v2/keys/foo/?recursive=true', as: 'alice:a' },
    { method: 'GET', path: '/v2/keys/foo/x?wait=notabool', as: 'nobody:x' },
    { method: 'GET', path: '/v2/keys/foo/x', as: 'root:rootpw' },
  ]);
});

test('with auth enabled, member changes need root and listing members does not', opts, async () => {
  await same([
    { method: 'POST', path: '/v2/members', body: json({ peerURLs: ['http://127.0.0.1:1'] }) },
    { method: 'DELETE', path: '/v2/members/1234', as: 'alice:a' },
    { method: 'PUT', path: '/v2/members/1234', body: 'x', as: 'root:wrong' },
    { method: 'DELETE', path: '/v2/members/1234', as: 'root:rootpw' },
    { method: 'POST', path: '/v2/members', body: 'x', as: 'root:rootpw' },
  ]);
});

test('the guest role decides for requests without credentials, key by key', opts, async () => {
  const form = 'application/x-www-form-urlencoded';
  await same([
    {
      method: 'PUT',
      path: '/v2/auth/roles/guest',
      body: json({ role: 'guest', permissions: { kv: { read: ['/pub/*'], write: [] } } }),
      as: 'root:rootpw',
    },
    { method: 'PUT', path: '/v2/keys/pub/k', body: 'value=v', type: form, as: 'root:rootpw' },
    { method: 'GET', path: '/v2/keys/pub/k' },
    { method: 'GET', path: '/v2/keys/pub/?recursive=true' },
    { method: 'PUT', path: '/v2/keys/pub/k', body: 'value=w', type: form },
    { method: 'GET', path: '/v2/keys/other' },
    { method: 'GET', path: '/v2/keys/pub/k', as: 'alice:a' },
  ]);
});

test('disabling auth needs root and opens everything again', opts, async () => {
  await same([
    { method: 'DELETE', path: '/v2/auth/enable' },
    { method: 'DELETE', path: '/v2/auth/enable', as: 'alice:a' },
    { method: 'DELETE', path: '/v2/auth/enable', as: 'root:rootpw' },
    { method: 'GET', path: '/v2/auth/enable' },
    { method: 'DELETE', path: '/v2/auth/enable' },
    { method: 'GET', path: '/v2/keys/foo/x' },
    { method: 'GET', path: '/v2/auth/users' },
    { method: 'DELETE', path: '/v2/auth/users/root' },
  ]);
});
