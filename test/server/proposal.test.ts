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
  fc.record({
    op: fc.constant('put' as const),
    path,
    value: fc.string(),
    dir: fc.boolean(),
    ttl: fc.option(fc.integer({ min: 0, max: 1e9 }), { nil: null }),
    refresh: fc.boolean(),
    prevValue: opt(fc.string()),
    prevIndex: opt(fc.integer({ min: 0, max: 2 ** 40 })),
    prevExist: opt(fc.boolean()),
  }, { requiredKeys: ['op', 'path', 'value', 'dir', 'ttl', 'refresh'] }),
  fc.record({ op: fc.constant('post' as const), path, value: fc.string(), dir: fc.boolean(), ttl: fc.option(fc.nat(), { nil: null }) }),
  fc.record({
    op: fc.constant('delete' as const),
    path,
    dir: fc.boolean(),
    recursive: fc.boolean(),
    prevValue: opt(fc.string()),
    prevIndex: opt(fc.nat()),
  }, { requiredKeys: ['op', 'path', 'dir', 'recursive'] }),
  fc.constant({ op: 'sync' as const }),
  fc.record({ op: fc.constant('publish' as const), id: fc.stringMatching(/^[0-9a-f]{1,16}$/), name: fc.string(), clientURLs: fc.array(fc.webUrl(), { maxLength: 3 }) }),
);

test('every proposal survives an encode/decode round trip unchanged', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9a-f]{1,16}$/), fc.nat(), fc.nat({ max: 2 ** 45 }), body, (origin, seq, time, b) => {
      const defined = Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)) as ProposalBody;
      const p: Proposal = { origin, seq, time, body: defined };
      assert.deepEqual(decodeProposal(encodeProposal(p)), p);
    }),
    { numRuns: 2000 },
  );
});

test('a membership change survives an encode/decode round trip', () => {
  const c = { type: 'add' as const, id: 'abc', name: 'm2', peerURLs: ['http://127.0.0.1:2380'], origin: 'def', seq: 7 };
  assert.deepEqual(decodeMembershipChange(encodeMembershipChange(c)), c);
});

test('describeProposal shows method, path, value and conditions for segdump', () => {
  const data = encodeProposal({ origin: 'a', seq: 1, time: 0, body: { op: 'put', path: '/k', value: 'v', dir: false, ttl: 5, refresh: false, prevIndex: 3 } });
  const d = describeProposal(data, 'normal');
  assert.equal(d.method, 'PUT');
  assert.equal(d.path, '/k');
  assert.equal(d.value, 'v');
  assert.equal(d.ttl, 5);
  assert.equal(d.prevIndex, 3);
  assert.equal('prevValue' in d, false);
});
