// Snapshot data of earlier versions: the head (member list, removed ids, auth
// data) main wrote (fixtures/main-encoded.json, made by main at 532b136 before
// the member list was described by lib/proposal's field kinds) still decodes
// to the state it encoded, and that state encodes to the same bytes.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AuthData } from '../../lib/auth/index.js';
import { decodeServerState, serverStateHead, type MemberInfo } from '../../lib/state/index.js';

interface Fixture {
  readonly value: {
    readonly members: MemberInfo[];
    readonly removed: string[];
    readonly auth: AuthData;
    /** The store's bytes, hex. */
    readonly store: string;
  };
  readonly hex: string;
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/main-encoded.json', import.meta.url), 'utf8')) as {
  serverStates: Fixture[];
  preAuthServerState: Fixture;
};

/** A decoded state as the fixture writes it (plain objects, the store as hex). */
const asFixture = (s: ReturnType<typeof decodeServerState>): unknown =>
  JSON.parse(JSON.stringify({ ...s, store: s.store.toString('hex') }));

test('every snapshot data head main wrote decodes to the state it encoded', () => {
  for (const f of fixtures.serverStates)
    assert.deepEqual(asFixture(decodeServerState(Buffer.from(f.hex, 'hex'))), f.value);
});

test('every state encodes to the snapshot data head main wrote for it', () => {
  for (const { value, hex } of fixtures.serverStates) {
    const head = serverStateHead(value.members, value.removed, value.auth);
    const store = Buffer.from(value.store, 'hex');
    const data = Buffer.alloc(head.headroom + store.length);
    store.copy(data, head.headroom);
    assert.equal(head.fill(data).toString('hex'), hex);
  }
});

test('snapshot data from before auth decodes to its members with auth disabled', () => {
  const f = fixtures.preAuthServerState;
  assert.deepEqual(asFixture(decodeServerState(Buffer.from(f.hex, 'hex'))), f.value);
});
