// Logs, snapshots and peers of earlier versions: what main's encoders wrote
// before the operations table (fixtures/main-encoded.json) still decodes to
// the same values, shows the same in segdump, and the same values encode to
// the same bytes, so that members of both versions read each other's entries.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeAuthData, encodeAuthData, type AuthData } from '../../lib/auth/index.js';
import {
  decodeMembershipChange,
  decodeProposal,
  describeProposal,
  encodeMembershipChange,
  encodeProposal,
  type MembershipChange,
  type Proposal,
} from '../../lib/proposal/index.js';

interface Fixture<T> {
  readonly value: T;
  readonly hex: string;
  readonly description?: Record<string, unknown>;
}

/** The fixture file writes a bigint as { "bigint": "<decimal>" }. */
const fixtures = JSON.parse(
  readFileSync(new URL('./fixtures/main-encoded.json', import.meta.url), 'utf8'),
  (_key, v: unknown) =>
    typeof v === 'object' && v !== null && 'bigint' in v && typeof v.bigint === 'string' ? BigInt(v.bigint) : v,
) as {
  proposals: Fixture<Proposal>[];
  membershipChanges: Fixture<MembershipChange>[];
  authData: Fixture<AuthData>[];
};

test('every proposal main wrote decodes to the value it encoded', () => {
  for (const f of fixtures.proposals) assert.deepEqual(decodeProposal(Buffer.from(f.hex, 'hex')), f.value);
});

test('every proposal encodes to the bytes main wrote for it', () => {
  for (const f of fixtures.proposals) assert.equal(encodeProposal(f.value).toString('hex'), f.hex, f.value.body.op);
});

test("segdump shows every proposal main wrote as main's segdump did", () => {
  for (const f of fixtures.proposals)
    assert.deepEqual(describeProposal(Buffer.from(f.hex, 'hex'), 'normal'), f.description);
});

test('every membership change main wrote decodes, encodes and shows the same', () => {
  for (const f of fixtures.membershipChanges) {
    const data = Buffer.from(f.hex, 'hex');
    assert.deepEqual(decodeMembershipChange(data), f.value);
    assert.equal(encodeMembershipChange(f.value).toString('hex'), f.hex);
    assert.deepEqual(describeProposal(data, 'confChange'), f.description);
  }
});

test("the auth state in main's snapshots decodes to what it encoded, and encodes to the same bytes", () => {
  for (const f of fixtures.authData) {
    const data = Buffer.from(f.hex, 'hex');
    assert.deepEqual(decodeAuthData(data, 0), { data: f.value, end: data.length });
    assert.equal(encodeAuthData(f.value).toString('hex'), f.hex);
  }
});
