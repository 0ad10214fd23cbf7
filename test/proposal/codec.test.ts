import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeMembershipChange,
  decodeProposal,
  describeProposal,
  encodeMembershipChange,
  encodeProposal,
  membershipChange as membershipChangeKind,
  OPERATIONS,
  type Fields,
  type Kind,
  type MembershipChange,
  type OperationName,
  type Proposal,
  type ProposalBody,
} from '../../lib/proposal/index.js';

/** Values of a field kind, as wide as the kind claims: any string, any uint64, every enum symbol. */
function arbitraryOf(kind: Kind<unknown>): fc.Arbitrary<unknown> {
  const shape = kind.shape;
  switch (shape.kind) {
    case 'string':
      return fc.string({ unit: 'binary', maxLength: 12 });
    case 'boolean':
      return fc.boolean();
    case 'long':
      return fc.maxSafeNat().map((n) => Math.min(n, 2 ** 53 - 2));
    case 'uint64':
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case 'enum':
      return fc.constantFrom(...shape.symbols);
    case 'nullable':
      return fc.option(arbitraryOf(shape.of), { nil: null });
    case 'array':
      return fc.array(arbitraryOf(shape.of), { maxLength: 3 });
    case 'record':
      return recordOf(shape.fields);
    case 'operations':
      return fc.oneof(...Object.keys(OPERATIONS).map((op) => bodyOf(op as OperationName)));
  }
}

/** A record's values: every required field, and each optional field present or absent. */
function recordOf(fields: Fields): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const requiredKeys: string[] = [];
  for (const [name, f] of Object.entries(fields)) {
    if ('optional' in f) model[name] = arbitraryOf(f.optional);
    else {
      model[name] = arbitraryOf(f);
      requiredKeys.push(name);
    }
  }
  return fc.record(model, { requiredKeys, noNullPrototype: true });
}

function bodyOf(op: OperationName): fc.Arbitrary<ProposalBody> {
  return recordOf(OPERATIONS[op].record.fields).map((fields) => ({ op, ...fields }) as ProposalBody);
}

const envelope = (body: fc.Arbitrary<ProposalBody>): fc.Arbitrary<Proposal> =>
  fc.record(
    { origin: fc.stringMatching(/^[0-9a-f]{1,16}$/), seq: fc.nat(), time: fc.nat({ max: 2 ** 45 }), body },
    { noNullPrototype: true },
  );

for (const op of Object.keys(OPERATIONS) as OperationName[]) {
  test(`every ${op} proposal survives an encode/decode round trip unchanged, and its description never throws`, () => {
    fc.assert(
      fc.property(envelope(bodyOf(op)), (p) => {
        const data = encodeProposal(p);
        assert.deepEqual(decodeProposal(data), p);
        assert.equal(typeof JSON.stringify(describeProposal(data, 'normal')), 'string');
      }),
      { numRuns: 300 },
    );
  });
}

test('every membership change survives an encode/decode round trip unchanged, and its description never throws', () => {
  fc.assert(
    fc.property(arbitraryOf(membershipChangeKind) as fc.Arbitrary<MembershipChange>, (c) => {
      const data = encodeMembershipChange(c);
      assert.deepEqual(decodeMembershipChange(data), c);
      assert.equal(typeof JSON.stringify(describeProposal(data, 'confChange')), 'string');
    }),
    { numRuns: 300 },
  );
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
