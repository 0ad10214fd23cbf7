// Auth changes travel in the log's proposals and the auth state in
// snapshots; both decode to what was encoded, older snapshots without auth
// still load, and segdump's description never carries a hash.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuthOperation } from '../../lib/auth/index.js';
import { decodeProposal, describeProposal, encodeProposal } from '../../lib/proposal/index.js';
import { decodeServerState, serverStateHead } from '../../lib/state/index.js';

const HASH = '$2b$04$abcdefghijklmnopqrstuuYQe2Jv7xJm7n3l6S0lJQ6hV1nq2wXzW';

const OPS: AuthOperation[] = [
  { op: 'auth-enable' },
  { op: 'auth-disable' },
  { op: 'user-create', name: 'alice', passwordHash: HASH, roles: ['app', 'app'] },
  { op: 'user-create', name: 'bob', passwordHash: HASH, roles: null },
  { op: 'user-put', name: 'root', passwordHash: HASH },
  { op: 'user-put', name: 'root', passwordHash: null },
  { op: 'user-update', name: 'alice', passwordHash: null, grant: ['x'], revoke: ['app'] },
  { op: 'user-delete', name: 'bob' },
  {
    op: 'role-create',
    role: { name: 'r', kv: { read: ['/a/*'], write: null }, grant: { read: [], write: null }, revoke: null },
  },
  { op: 'role-update', name: 'r', grant: null, revoke: { read: ['/a/*'], write: [] } },
  { op: 'role-delete', name: 'r' },
];

test('every auth change decodes from a proposal to what was encoded', () => {
  for (const body of OPS) {
    const p = { origin: 'a1', seq: 7, time: 1_700_000_000_000, body };
    assert.deepEqual(decodeProposal(encodeProposal(p)), p);
  }
});

test('key requests still decode as before auth branches were added to the union', () => {
  const p = {
    origin: 'a1',
    seq: 1,
    time: 5,
    body: { op: 'put' as const, path: '/k', value: 'v', dir: false, ttl: null, refresh: false },
  };
  assert.deepEqual(decodeProposal(encodeProposal(p)), p);
});

test("segdump's description of a user change names the user and says whether a password was set, never the hash", () => {
  for (const body of OPS) {
    const shown = JSON.stringify(describeProposal(encodeProposal({ origin: 'a1', seq: 1, time: 0, body }), 'normal'));
    assert.doesNotMatch(shown, /\$2b\$/);
  }
  const d = describeProposal(encodeProposal({ origin: 'a1', seq: 1, time: 0, body: OPS[2]! }), 'normal');
  assert.deepEqual(
    { method: d.method, user: d.user, password: d.password, roles: d.roles },
    { method: 'USER-CREATE', user: 'alice', password: 'set', roles: ['app', 'app'] },
  );
});

test('snapshot data carries the auth state between the member list and the key tree', () => {
  const auth = {
    enabled: true,
    users: [
      { name: 'root', passwordHash: HASH, roles: ['root'] },
      { name: 'u', passwordHash: HASH, roles: null },
    ],
    roles: [{ name: 'guest', kv: { read: ['/*'], write: ['/*'] }, grant: null, revoke: null }],
  };
  const head = serverStateHead([{ id: 'a1', name: 'a', peerURLs: ['http://p'], clientURLs: [] }], ['b2'], auth);
  const data = head.fill(Buffer.concat([Buffer.alloc(head.headroom), Buffer.from('STORE')]));
  const s = decodeServerState(data);
  assert.deepEqual(s.auth, auth);
  assert.deepEqual(s.removed, ['b2']);
  assert.equal(s.store.toString(), 'STORE');
});

test('snapshot data written before auth existed loads with auth disabled and empty', () => {
  // The old layout: [u32 length][members record][store], the members record alone in the head.
  const withAuth = serverStateHead([], [], { enabled: false, users: [], roles: [] });
  const full = withAuth.fill(Buffer.alloc(withAuth.headroom));
  const membersOnly = full.subarray(4, 4 + 2); // an empty members array and an empty removed array: two zero bytes
  const old = Buffer.concat([Buffer.from([0, 0, 0, 2]), membersOnly, Buffer.from('STORE')]);
  const s = decodeServerState(old);
  assert.deepEqual(s.auth, { enabled: false, users: [], roles: [] });
  assert.equal(s.store.toString(), 'STORE');
});
