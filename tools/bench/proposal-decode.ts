// What decoding a normal entry's data costs through the operations table
// (lib/proposal's decodeProposal: avsc's union decoder, then each field
// kind's fromWire), against a decoder written by hand for the same bytes of a
// put, the entry every member decodes most. Both decode the same entries and
// are checked to give equal values before they are timed.
// Run: node --import tsx tools/bench/proposal-decode.ts [rounds]

import assert from 'node:assert/strict';
import { decodeProposal, encodeProposal, type Proposal } from '../../lib/proposal/index.js';

const rounds = Number(process.argv[2] ?? 7);
const DISTINCT = 1024;
const DECODES_PER_ROUND = 1_000_000;

/** Puts as the API proposes them: most plain, some with a TTL or a compare-and-swap condition. */
function put(i: number): Proposal {
  const conditional = i % 8 === 0;
  return {
    origin: '8e9e05c52164694d',
    seq: 1_000_000 + i,
    time: 1_765_000_000_000 + i,
    body: {
      op: 'put',
      path: `/bench/key-${String(i).padStart(6, '0')}`,
      value: 'v'.repeat(64),
      dir: false,
      ttl: i % 4 === 0 ? 60 : null,
      refresh: false,
      ...(conditional ? { prevValue: 'old', prevIndex: BigInt(i), prevExist: true } : {}),
    },
  };
}

let pos = 0;
/** A zigzag varint long: small ones with int arithmetic, as avsc does. */
function long(buf: Buffer): number {
  let b = buf[pos++] as number;
  let n = b & 0x7f;
  let k = 7;
  while (b & 0x80 && k < 28) {
    b = buf[pos++] as number;
    n |= (b & 0x7f) << k;
    k += 7;
  }
  if (!(b & 0x80)) return (n >>> 1) ^ -(n & 1);
  let f = n >>> 0;
  do {
    b = buf[pos++] as number;
    f += (b & 0x7f) * 2 ** k;
    k += 7;
  } while (b & 0x80);
  return f % 2 ? -(f + 1) / 2 : f / 2;
}
/** Node's Buffer has an unchecked utf8Slice, which avsc uses too. */
type Utf8Sliced = Buffer & { utf8Slice(start: number, end: number): string };
function string(buf: Buffer): string {
  const len = long(buf);
  const s = (buf as Utf8Sliced).utf8Slice(pos, pos + len);
  pos += len;
  return s;
}
const bool = (buf: Buffer): boolean => buf[pos++] === 1;

/** The Proposal record (origin, seq, time, body) whose body is branch 0 of the union, Put. */
function decodePutByHand(buf: Buffer): Proposal {
  pos = 0;
  const origin = string(buf);
  const seq = long(buf);
  const time = long(buf);
  if (long(buf) !== 0) throw new Error('not a put');
  const path = string(buf);
  const value = string(buf);
  const dir = bool(buf);
  const ttl = long(buf) === 0 ? null : long(buf);
  const refresh = bool(buf);
  const body: Record<string, unknown> = { op: 'put', path, value, dir, ttl, refresh };
  if (long(buf) !== 0) body.prevValue = string(buf);
  const prevIndex = long(buf);
  if (prevIndex === 1) body.prevIndex = BigInt(long(buf));
  else if (prevIndex === 2) {
    body.prevIndex = buf.readBigUInt64BE(pos);
    pos += 8;
  }
  if (long(buf) !== 0) body.prevExist = bool(buf);
  return { origin, seq, time, body: body as Proposal['body'] };
}

const entries = Array.from({ length: DISTINCT }, (_, i) => encodeProposal(put(i)));
for (const [i, data] of entries.entries()) {
  assert.deepEqual(decodeProposal(data), put(i));
  assert.deepEqual(decodePutByHand(data), put(i));
}

/** Nanoseconds per decode, one round. */
function round(decode: (data: Buffer) => Proposal): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < DECODES_PER_ROUND; i++) sink += decode(entries[i % DISTINCT] as Buffer).seq;
  const ns = Number(process.hrtime.bigint() - start) / DECODES_PER_ROUND;
  if (sink === 0) throw new Error('nothing decoded');
  return ns;
}

const candidates: Array<[string, (data: Buffer) => Proposal]> = [
  ['operations table (decodeProposal)', decodeProposal],
  ['hand-written put decoder', decodePutByHand],
];
const times = new Map<string, number[]>(candidates.map(([name]) => [name, []]));
for (let r = 0; r < rounds; r++) for (const [name, decode] of candidates) times.get(name)?.push(round(decode));

const bytes = entries.reduce((n, e) => n + e.length, 0) / DISTINCT;
console.log(`put entries of ${bytes.toFixed(0)} bytes on average; median of ${rounds} rounds of ${DECODES_PER_ROUND}:`);
for (const [name, ns] of times) {
  const sorted = [...ns].sort((a, b) => a - b);
  console.log(`  ${name.padEnd(36)} ${(sorted[sorted.length >> 1] ?? NaN).toFixed(0).padStart(5)} ns/entry`);
}
