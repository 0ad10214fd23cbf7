// Who a request is and what it may touch: Go's basic-auth parsing, the
// client certificate's name under client-cert-auth, the guest role, and
// etcd's key patterns (exact, `*` prefix, recursive needing a `*`).

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Authenticator, AuthState, parseCredentials, Passwords, type Identity } from '../../lib/auth/index.js';

const b64 = (s: string): string => 'Basic ' + Buffer.from(s).toString('base64');

test('basic auth is parsed as Go parses it', () => {
  assert.deepEqual(parseCredentials(undefined, null), { kind: 'none', certName: null });
  assert.deepEqual(parseCredentials('', 'cn'), { kind: 'none', certName: 'cn' });
  assert.deepEqual(parseCredentials(b64('alice:pa:ss'), null), { kind: 'basic', user: 'alice', password: 'pa:ss' });
  assert.deepEqual(parseCredentials('bAsIc ' + Buffer.from('a:b').toString('base64'), null), {
    kind: 'basic',
    user: 'a',
    password: 'b',
  });
  assert.deepEqual(parseCredentials(b64('no-colon'), null), { kind: 'malformed' });
  assert.deepEqual(parseCredentials('Basic YWxpY2U6YQ', null), { kind: 'malformed' }, 'padding is required');
  assert.deepEqual(parseCredentials('Bearer abc', null), { kind: 'malformed' });
  assert.deepEqual(parseCredentials('Basic !!!!', null), { kind: 'malformed' });
});

// Cost 4: these tests are about who gets in, not about bcrypt's cost.
const passwords = new Passwords({ cost: 4 });
after(() => passwords.close());

async function state(): Promise<AuthState> {
  const s = new AuthState();
  const hash = await passwords.hash('pw');
  s.apply({ op: 'user-put', name: 'root', passwordHash: hash });
  s.apply({
    op: 'role-create',
    role: { name: 'app', kv: { read: ['/app/*', '/exact'], write: ['/app/w/*'] }, grant: null, revoke: null },
  });
  s.apply({ op: 'user-create', name: 'alice', passwordHash: hash, roles: ['app', 'missing-role'] });
  s.apply({
    op: 'role-create',
    role: { name: 'guest', kv: { read: ['/pub/*'], write: null }, grant: null, revoke: null },
  });
  s.apply({ op: 'auth-enable' });
  return s;
}

test('a password user gets in with the right password only', async () => {
  const a = new Authenticator(await state(), passwords, false);
  assert.equal((await a.identify({ kind: 'basic', user: 'alice', password: 'pw' }, true)).kind, 'user');
  assert.deepEqual(await a.identify({ kind: 'basic', user: 'alice', password: 'nope' }, true), {
    kind: 'refused',
    reason: 'wrong-password',
    user: 'alice',
  });
  assert.deepEqual(await a.identify({ kind: 'basic', user: 'ghost', password: 'pw' }, true), {
    kind: 'refused',
    reason: 'unknown-user',
    user: 'ghost',
  });
  assert.deepEqual(await a.identify({ kind: 'malformed' }, true), {
    kind: 'refused',
    reason: 'malformed-credentials',
    user: null,
  });
});

test('with client-cert-auth, a certificate whose name is a user acts as that user; any other is the guest', async () => {
  const s = await state();
  const a = new Authenticator(s, passwords, true);
  const alice = await a.identify({ kind: 'none', certName: 'alice' }, true);
  assert.equal(alice.kind === 'user' && alice.user.name, 'alice');
  assert.deepEqual(await a.identify({ kind: 'none', certName: 'stranger' }, true), { kind: 'guest' });
  assert.deepEqual(await a.identify({ kind: 'none', certName: 'stranger' }, false), {
    kind: 'refused',
    reason: 'no-credentials',
    user: 'stranger',
  });
  const root = await a.identify({ kind: 'none', certName: 'root' }, false);
  assert.equal(a.isRoot(root), true);
});

test('without client-cert-auth the certificate names nobody', async () => {
  const a = new Authenticator(await state(), passwords, false);
  assert.deepEqual(await a.identify({ kind: 'none', certName: 'alice' }, true), { kind: 'guest' });
});

test('key patterns: exact, star prefix, and recursive requests need a star covering the key', async () => {
  const s = await state();
  const a = new Authenticator(s, passwords, false);
  const alice: Identity = { kind: 'user', user: s.user('alice')!, by: 'password' };
  assert.equal(a.mayAccessKey(alice, '/app/x', false, false), true);
  assert.equal(a.mayAccessKey(alice, '/exact', false, false), true);
  assert.equal(a.mayAccessKey(alice, '/exact/below', false, false), false);
  assert.equal(a.mayAccessKey(alice, '/exact', true, false), false, 'an exact pattern never covers a recursive read');
  assert.equal(a.mayAccessKey(alice, '/app/', true, false), true);
  assert.equal(a.mayAccessKey(alice, '/app', true, false), false, '"/app" does not start with "/app/"');
  assert.equal(a.mayAccessKey(alice, '/app/x', false, true), false, 'reading is not writing');
  assert.equal(a.mayAccessKey(alice, '/app/w/x', false, true), true);
  assert.equal(a.mayAccessKey({ kind: 'guest' }, '/pub/a', false, false), true);
  assert.equal(a.mayAccessKey({ kind: 'guest' }, '/pub/', true, false), true);
  assert.equal(a.mayAccessKey({ kind: 'guest' }, '/pub/a', false, true), false);
  const root: Identity = { kind: 'user', user: s.user('root')!, by: 'password' };
  assert.equal(a.mayAccessKey(root, '', true, true), true);
});

test('a user deleted after it was identified may touch nothing more (an open watch)', async () => {
  const s = await state();
  const a = new Authenticator(s, passwords, false);
  const alice: Identity = { kind: 'user', user: s.user('alice')!, by: 'password' };
  s.apply({ op: 'user-delete', name: 'alice' });
  assert.equal(a.mayAccessKey(alice, '/app/x', false, false), false);
});
