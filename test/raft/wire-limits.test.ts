// MAX_WIRE_INTEGER is the one definition of how large a term or index may be:
// message validation uses it, and it is exactly what the peer codec and the
// log codec can encode. If a codec changes, these fail.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asIndex, asTerm, MAX_WIRE_INTEGER, NO_MEMBER, type Message } from '../../lib/raft/types.js';
import { hardStateType } from '../../lib/storage/schema.js';
import { encodeFrame } from '../../lib/transport/codec.js';
import { id } from './harness.js';

const heartbeat = (term: number): Message => ({
  type: 'heartbeat',
  from: id(1),
  to: id(2),
  term: asTerm(term),
  commit: asIndex(term),
  ctx: '',
});

test('the peer codec encodes terms and indexes up to MAX_WIRE_INTEGER and no further', () => {
  assert.ok(encodeFrame(heartbeat(MAX_WIRE_INTEGER)).length > 0);
  assert.throws(() => encodeFrame(heartbeat(MAX_WIRE_INTEGER + 1)), /cannot encode heartbeat/);
});

test('the log codec persists a hard state up to MAX_WIRE_INTEGER and no further', () => {
  const hs = (n: number) => ({ term: n, vote: NO_MEMBER, commit: n });
  assert.ok(hardStateType.toBuffer(hs(MAX_WIRE_INTEGER)).length > 0);
  assert.throws(() => hardStateType.toBuffer(hs(MAX_WIRE_INTEGER + 1)));
});
