// The log vocabulary is defined once: storage and transport embed lib/wire's
// Entry and SnapshotMeta records and tag union values with lib/wire's helper
// instead of spelling their own.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import avro from 'avsc';
import {
  ENTRY_SCHEMA,
  SNAPSHOT_META_SCHEMA,
  asIndex,
  asMemberId,
  asTerm,
  decodeEntry,
  unionBranchOf,
  unionBranches,
  unionTag,
  type Entry,
  type SnapshotMeta,
} from '../../lib/wire/index.js';

const LIB = new URL('../../lib/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const spelledIn = (pattern: RegExp): string[] =>
  sources(LIB)
    .filter((f) => pattern.test(readFileSync(f, 'utf8')))
    .map((f) => f.slice(LIB.length));

test('the Avro Entry record is spelled in lib/wire/schema.ts only', () => {
  assert.deepEqual(spelledIn(/name: 'Entry'/), ['wire/schema.ts']);
});

test('the Avro SnapshotMeta record is spelled in lib/wire/schema.ts only', () => {
  assert.deepEqual(spelledIn(/name: 'SnapshotMeta'/), ['wire/schema.ts']);
});

test('the Avro SnapshotMeta record decodes into the SnapshotMeta type', () => {
  const type = avro.Type.forSchema(SNAPSHOT_META_SCHEMA);
  const meta: SnapshotMeta = {
    index: asIndex(2 ** 40),
    term: asTerm(3),
    conf: { voters: [asMemberId('8e9e05c52164694d'), asMemberId('000000000000000b')] },
  };
  assert.deepEqual(JSON.parse(JSON.stringify(type.fromBuffer(type.toBuffer(meta)))), meta);
});

test('a value written as its union tag and its branch encoding is the union encoding', () => {
  const union = avro.Type.forSchema(
    Array.from({ length: 64 }, (_, i) => ({ type: 'record', name: `B${i}`, fields: [{ name: 'n', type: 'long' }] })),
    { wrapUnions: true },
  );
  for (const { type, tag } of unionBranches(union)) {
    const branchBytes = type.toBuffer({ n: tag });
    const bytes = Buffer.concat([Buffer.of(tag), branchBytes]);
    assert.deepEqual(bytes, union.toBuffer({ [`B${tag >> 1}`]: { n: tag } }));
  }
});

test('the tag byte of a union value names its branch', () => {
  for (let i = 0; i < 64; i++) assert.equal(unionBranchOf(unionTag(i)), i);
});

test('a byte that is no one-byte union tag names no branch', () => {
  for (const byte of [1, 127, 128, 129, 255]) assert.equal(unionBranchOf(byte), -1);
});

test('a branch beyond the 64th has no one-byte tag', () => {
  assert.throws(() => unionTag(64), RangeError);
});

test('the hand-written decoder reads what the Avro Entry record encodes', () => {
  const type = avro.Type.forSchema(ENTRY_SCHEMA);
  const entry = { term: asTerm(7), index: asIndex(2 ** 40), type: 'confChange', data: Buffer.from('change') } as Entry;
  const bytes = type.toBuffer(entry);
  const decoded = decodeEntry(bytes, 0, bytes.length);
  assert.ok(decoded);
  assert.deepEqual({ ...decoded, data: Buffer.from(decoded.data) }, entry);
});
