import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeEntry } from '../../lib/wire/index.js';
import { entryType } from '../../lib/storage/schema.js';

// avsc's long holds integers up to 2^52: far beyond any term or index a log reaches.
const MAX_LONG = 2 ** 52;

const entryArb = fc.record({
  term: fc.oneof(fc.constantFrom(0, 1, 2 ** 31 - 1, 2 ** 31, MAX_LONG), fc.nat()),
  index: fc.oneof(fc.constantFrom(1, 2 ** 28, 2 ** 32 + 5, MAX_LONG), fc.integer({ min: 1, max: MAX_LONG })),
  type: fc.constantFrom('normal' as const, 'confChange' as const, 'empty' as const),
  data: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
});

test('the hand decoder reads exactly what avsc encodes for an entry', () => {
  fc.assert(
    fc.property(entryArb, fc.nat({ max: 7 }), (e, pad) => {
      const bytes = entryType.toBuffer(e);
      const buf = Buffer.concat([Buffer.alloc(pad, 0xee), bytes, Buffer.alloc(3, 0xee)]);
      const got = decodeEntry(buf, pad, pad + bytes.length);
      assert.ok(got);
      assert.deepEqual({ ...got, data: got.data.toString('hex') }, { ...e, data: e.data.toString('hex') });
    }),
    { numRuns: 500 },
  );
});

test('the decoded data is a view of the segment bytes, not a copy', () => {
  const bytes = entryType.toBuffer({ term: 1, index: 1, type: 'normal', data: Buffer.from('abc') });
  const e = decodeEntry(bytes, 0, bytes.length)!;
  assert.equal(e.data.buffer, bytes.buffer);
});

test('bytes that are not exactly one entry decode to null, never throw', () => {
  const good = entryType.toBuffer({ term: 3, index: 9, type: 'empty', data: Buffer.from('xyz') });
  assert.equal(decodeEntry(good, 0, good.length - 1), null);
  assert.equal(decodeEntry(Buffer.concat([good, Buffer.from([0])]), 0, good.length + 1), null);
  const badType = Buffer.from(good);
  badType[2] = 0x06; // enum index 3: no such entry type
  assert.equal(decodeEntry(badType, 0, badType.length), null);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (a) => {
      const b = Buffer.from(a);
      const e = decodeEntry(b, 0, b.length);
      if (e !== null) assert.ok(e.data.length <= b.length);
    }),
    { numRuns: 500 },
  );
});
