// The log vocabulary is defined once: storage and transport embed lib/wire's
// Entry record instead of spelling their own.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import avro from 'avsc';
import { ENTRY_SCHEMA, asIndex, asTerm, decodeEntry, type Entry } from '../../lib/wire/index.js';

const LIB = new URL('../../lib/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('the Avro Entry record is spelled in lib/wire/schema.ts only', () => {
  const spelled = sources(LIB).filter((f) => /name: 'Entry'/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(
    spelled.map((f) => f.slice(LIB.length)),
    ['wire/schema.ts'],
  );
});

test('the hand-written decoder reads what the Avro Entry record encodes', () => {
  const type = avro.Type.forSchema(ENTRY_SCHEMA);
  const entry = { term: asTerm(7), index: asIndex(2 ** 40), type: 'confChange', data: Buffer.from('change') } as Entry;
  const bytes = type.toBuffer(entry);
  const decoded = decodeEntry(bytes, 0, bytes.length);
  assert.ok(decoded);
  assert.deepEqual({ ...decoded, data: Buffer.from(decoded.data) }, entry);
});
