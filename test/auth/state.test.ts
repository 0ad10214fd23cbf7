// AuthState applies the changes the log carries, deciding each one as etcd
// 3.4 decides it, and a refused change leaves everything as it was.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError, AuthState, type AuthOperation, type Role } from '../../lib/auth/index.js';

const HASH = '$2b$04$abcdefghijklmnopqrstuuYQe2Jv7xJm7n3l6S0lJQ6hV1nq2wXzW';

function apply(s: AuthState, op: AuthOperation) {
  return s.apply(op);
}

function refusal(r: unknown): [number, string] {
  assert.ok(r instanceof AuthError, `expected a refusal, got ${JSON.stringify(r)}`);
  return [r.status, r.message];
}

const role = (name: string, read: string[] | null, write: string[] | null): Role => ({
  name,
  kv: { read, write },
  grant: null,
  revoke: null,
});

test('enabling auth needs a root user and creates a guest role with access to every key', () => {
  const s = new AuthState();
  assert.deepEqual(refusal(apply(s, { op: 'auth-enable' })), [409, 'auth: No root user available, please create one']);
  apply(s, { op: 'user-put', name: 'root', passwordHash: HASH });
  assert.deepEqual(apply(s, { op: 'auth-enable' }), { kind: 'done' });
  assert.equal(s.enabled, true);
  assert.deepEqual(s.role('guest')?.kv, { read: ['/*'], write: ['/*'] });
  assert.deepEqual(refusal(apply(s, { op: 'auth-enable' })), [409, 'auth: already enabled']);
});

test('an existing guest role is kept when auth is enabled', () => {
  const s = new AuthState();
  apply(s, { op: 'user-put', name: 'root', passwordHash: HASH });
  apply(s, { op: 'role-create', role: role('guest', ['/pub/*'], null) });
  apply(s, { op: 'auth-enable' });
  assert.deepEqual(s.role('guest')?.kv, { read: ['/pub/*'], write: null });
});

test('the root user always has the root role, and cannot be deleted while auth is on', () => {
  const s = new AuthState();
  assert.deepEqual(apply(s, { op: 'user-put', name: 'root', passwordHash: HASH }), {
    kind: 'user',
    user: { name: 'root', roles: ['root'] },
    created: true,
  });
  apply(s, { op: 'user-update', name: 'root', passwordHash: null, grant: [], revoke: ['root'] });
  assert.deepEqual(s.user('root')?.roles, ['root']);
  apply(s, { op: 'auth-enable' });
  assert.deepEqual(refusal(apply(s, { op: 'user-delete', name: 'root' })), [
    403,
    'auth: Cannot delete root user while auth is enabled.',
  ]);
  apply(s, { op: 'auth-disable' });
  assert.deepEqual(apply(s, { op: 'user-delete', name: 'root' }), { kind: 'done' });
});

test('a user put without a password creates nothing, and changes nothing when roles would stay as they are', () => {
  const s = new AuthState();
  assert.deepEqual(refusal(apply(s, { op: 'user-put', name: 'u', passwordHash: null })), [
    400,
    'auth: Cannot create user u with an empty password',
  ]);
  apply(s, { op: 'user-put', name: 'u', passwordHash: HASH });
  // etcd compares null roles with the empty list its update makes: the first update changes the user.
  assert.deepEqual(apply(s, { op: 'user-put', name: 'u', passwordHash: null }), {
    kind: 'user',
    user: { name: 'u', roles: [] },
    created: false,
  });
  assert.deepEqual(refusal(apply(s, { op: 'user-put', name: 'u', passwordHash: null })), [
    400,
    'auth: User not updated. Use grant/revoke/password to update the user.',
  ]);
});

test('granting a role twice or revoking one not granted is refused and changes nothing', () => {
  const s = new AuthState();
  apply(s, { op: 'user-create', name: 'u', passwordHash: HASH, roles: ['b'] });
  assert.deepEqual(
    refusal(apply(s, { op: 'user-update', name: 'u', passwordHash: null, grant: ['a', 'b'], revoke: [] })),
    [409, 'auth: Granting duplicate role b for user u'],
  );
  assert.deepEqual(refusal(apply(s, { op: 'user-update', name: 'u', passwordHash: null, grant: [], revoke: ['z'] })), [
    409,
    'auth: Revoking ungranted role z for user u',
  ]);
  assert.deepEqual(s.user('u')?.roles, ['b']);
  assert.deepEqual(apply(s, { op: 'user-update', name: 'u', passwordHash: null, grant: ['c', 'a'], revoke: ['b'] }), {
    kind: 'user',
    user: { name: 'u', roles: ['a', 'c'] },
    created: false,
  });
});

test('role grants and revokes keep patterns sorted and unique; an update that changes nothing is refused', () => {
  const s = new AuthState();
  apply(s, { op: 'role-create', role: role('r', null, null) });
  assert.deepEqual(
    apply(s, { op: 'role-update', name: 'r', grant: { read: ['/b', '/a*'], write: null }, revoke: null }),
    { kind: 'role', role: role('r', ['/a*', '/b'], []) },
  );
  assert.deepEqual(
    refusal(apply(s, { op: 'role-update', name: 'r', grant: { read: null, write: ['/w', '/w'] }, revoke: null })),
    [409, 'auth: Granting duplicate write permission /w'],
  );
  assert.deepEqual(
    refusal(apply(s, { op: 'role-update', name: 'r', grant: null, revoke: { read: ['/nothing'], write: null } })),
    [400, 'auth: Role not updated. Use grant/revoke to update the role.'],
  );
  assert.deepEqual(apply(s, { op: 'role-update', name: 'r', grant: null, revoke: { read: ['/b'], write: null } }), {
    kind: 'role',
    role: role('r', ['/a*'], []),
  });
});

test('the root role is built in: it cannot be created, changed or deleted', () => {
  const s = new AuthState();
  const rootRefusal = [403, 'auth: Cannot modify role root: is root role.'];
  assert.deepEqual(refusal(apply(s, { op: 'role-create', role: role('root', null, null) })), rootRefusal);
  assert.deepEqual(
    refusal(apply(s, { op: 'role-update', name: 'root', grant: { read: ['/x'], write: null }, revoke: null })),
    rootRefusal,
  );
  assert.deepEqual(refusal(apply(s, { op: 'role-delete', name: 'root' })), rootRefusal);
  assert.deepEqual(s.roleNames(), ['root']);
  assert.deepEqual(s.role('root')?.kv, { read: ['/*'], write: ['/*'] });
});

test('deleting a missing user or role, or changing a missing one, is a 404 with etcd wording', () => {
  const s = new AuthState();
  assert.deepEqual(refusal(apply(s, { op: 'user-delete', name: 'x' })), [404, 'auth: User x does not exist']);
  assert.deepEqual(refusal(apply(s, { op: 'user-update', name: 'x', passwordHash: null, grant: ['a'], revoke: [] })), [
    404,
    'auth: User x does not exist.',
  ]);
  assert.deepEqual(refusal(apply(s, { op: 'role-delete', name: 'x' })), [404, "auth: Role x doesn't exist."]);
  assert.deepEqual(
    refusal(apply(s, { op: 'role-update', name: 'x', grant: { read: ['/a'], write: null }, revoke: null })),
    [404, 'auth: Role x does not exist.'],
  );
});

test('names are listed in Go byte order', () => {
  const s = new AuthState();
  for (const name of ['b', 'A', 'é', '\u{1F600}', 'a']) apply(s, { op: 'user-put', name, passwordHash: HASH });
  assert.deepEqual(s.userNames(), ['A', 'a', 'b', 'é', '\u{1F600}']);
});

test('replace() swaps in a snapshot state for every holder of the same object', () => {
  const s = new AuthState();
  const view = s;
  apply(s, { op: 'user-put', name: 'old', passwordHash: HASH });
  s.replace({
    enabled: true,
    users: [{ name: 'root', passwordHash: HASH, roles: ['root'] }],
    roles: [role('guest', [], [])],
  });
  assert.equal(view.enabled, true);
  assert.deepEqual(view.userNames(), ['root']);
  assert.deepEqual(view.roleNames(), ['guest', 'root']);
});
