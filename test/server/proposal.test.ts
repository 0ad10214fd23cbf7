import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeMembershipChange,
  decodeProposal,
  describeProposal,
  encodeMembershipChange,
  encodeProposal,
  type Proposal,
  type ProposalBody,
} from '../../lib/server/proposal.js';

const path = fc.stringMatching(/^\/[a-z_/]{0,12}$/);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const body: fc.Arbitrary<ProposalBody> = fc.oneof(
  fc.record(
    {
      op: fc.constant('put' as const),
      path,
      value: fc.string(),
      dir: fc.boolean(),
      ttl: fc.option(fc.integer({ min: 0, max: 1e9 }), { nil: null }),
      refresh: fc.boolean(),
      prevValue: opt(fc.string()),
      prevIndex: opt(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
      prevExist: opt(fc.boolean()),
    },
    { requiredKeys: ['op', 'path', 'value', 'dir', 'ttl', 'refresh'] },
  ),
  fc.record({
    op: fc.constant('post' as const),
    path,
    value: fc.string(),
    dir: fc.boolean(),
    ttl: fc.option(fc.nat(), { nil: null }),
  }),
  fc.record(
    {
      op: fc.constant('delete' as const),
      path,
      dir: fc.boolean(),
      recursive: fc.boolean(),
      prevValue: opt(fc.string()),
      prevIndex: opt(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
    },
    { requiredKeys: ['op', 'path', 'dir', 'recursive'] },
  ),
  fc.constant({ op: 'sync' as const }),
  fc.record({
    op: fc.constant('publish' as const),
    id: fc.stringMatching(/^[0-9a-f]{1,16}$/),
    name: fc.string(),
    clientURLs: fc.array(fc.webUrl(), { maxLength: 3 }),
  }),
);

test('every proposal survives an encode/decode round trip unchanged', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[0-9a-f]{1,16}$/),
      fc.nat(),
      fc.nat({ max: 2 ** 45 }),
      body,
      (origin, seq, time, b) => {
        const defined = Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)) as ProposalBody;
        const p: Proposal = { origin, seq, time, body: defined };
        assert.deepEqual(decodeProposal(encodeProposal(p)), p);
      },
    ),
    { numRuns: 2000 },
  );
});

test('a membership change survives an encode/decode round trip', () => {
  const c = { type: 'add' as const, id: 'abc', name: 'm2', peerURLs: ['http://127.0.0.1:2380'], origin: 'def', seq: 7 };
  assert.deepEqual(decodeMembershipChange(encodeMembershipChange(c)), c);
});

test('describeProposal shows method, path, value and conditions for segdump', () => {
  const data = encodeProposal({
    origin: 'a',
    seq: 1,
    time: 0,
    body: { op: 'put', path: '/k', value: 'v', dir: false, ttl: 5, refresh: false, prevIndex: 3n },
  });
  const d = describeProposal(data, 'normal');
  assert.equal(d.method, 'PUT');
  assert.equal(d.path, '/k');
  assert.equal(d.value, 'v');
  assert.equal(d.ttl, 5);
  assert.equal(d.prevIndex, 3);
  assert.equal('prevValue' in d, false);
});

test('a prevIndex of any unsigned 64-bit value survives the log exactly', () => {
  for (const prevIndex of [2n ** 53n - 2n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
    for (const body of [
      { op: 'put' as const, path: '/k', value: 'v', dir: false, ttl: null, refresh: false, prevIndex },
      { op: 'delete' as const, path: '/k', dir: false, recursive: false, prevIndex },
    ]) {
      assert.deepEqual(decodeProposal(encodeProposal({ origin: 'a', seq: 1, time: 0, body })).body, body);
    }
  }
});

test('proposals written before prevIndex took 64 bits read the same', () => {
  // Encoded by the previous schema, whose prevIndex was a plain optional long.
  const put = decodeProposal(Buffer.from('0461310e80a0abfef96200042f6b02760000000002fcffffffffffff1f00', 'hex'));
  assert.deepEqual(put, {
    origin: 'a1',
    seq: 7,
    time: 1700000000000,
    body: { op: 'put', path: '/k', value: 'v', dir: false, ttl: null, refresh: false, prevIndex: 9007199254740990n },
  });
  const del = decodeProposal(Buffer.from('0461311080a0abfef96204042f6b0000000254', 'hex'));
  assert.deepEqual(del.body, { op: 'delete', path: '/k', dir: false, recursive: false, prevIndex: 42n });
});

test('describeProposal shows a prevIndex beyond 2^53 as its exact decimal text', () => {
  const data = encodeProposal({
    origin: 'a',
    seq: 1,
    time: 0,
    body: { op: 'delete', path: '/k', dir: false, recursive: false, prevIndex: 2n ** 64n - 1n },
  });
  assert.equal(describeProposal(data, 'normal').prevIndex, '18446744073709551615');
  assert.doesNotThrow(() => JSON.stringify(describeProposal(data, 'normal')));
});
