import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { asIndex, asMemberId, asTerm, type Entry, type Message, type MessageType } from '../../lib/raft/types.js';
import { decodeMessage, encodeFrame, FrameDecoder, FrameEncoder, FrameError } from '../../lib/transport/codec.js';
import { first } from '../support/pick.js';
import { plain } from './helpers.js';

const member = fc.stringMatching(/^[0-9a-f]{16}$/).map(asMemberId);
// avsc encodes longs up to 2^53 - 2 (it keeps one value of headroom below MAX_SAFE_INTEGER).
const num = fc.nat({ max: 2 ** 53 - 2 });
const term = num.map(asTerm);
const index = num.map(asIndex);
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const entry: fc.Arbitrary<Entry> = fc.record({
  term,
  index,
  type: fc.constantFrom('normal' as const, 'confChange' as const, 'empty' as const),
  data: bytes,
});
const entries = fc.array(entry, { maxLength: 8 });
const base = { from: member, to: member, term };

const byType: { [T in MessageType]: fc.Arbitrary<Message & { type: T }> } = {
  preVote: fc.record({
    ...base,
    type: fc.constant('preVote' as const),
    lastIndex: index,
    lastTerm: term,
    transfer: fc.boolean(),
  }),
  vote: fc.record({
    ...base,
    type: fc.constant('vote' as const),
    lastIndex: index,
    lastTerm: term,
    transfer: fc.boolean(),
  }),
  preVoteResp: fc.record({ ...base, type: fc.constant('preVoteResp' as const), reject: fc.boolean() }),
  voteResp: fc.record({ ...base, type: fc.constant('voteResp' as const), reject: fc.boolean() }),
  append: fc.record({
    ...base,
    type: fc.constant('append' as const),
    prevIndex: index,
    prevTerm: term,
    entries,
    commit: index,
  }),
  appendResp: fc.record({
    ...base,
    type: fc.constant('appendResp' as const),
    reject: fc.boolean(),
    index,
    rejectHint: index,
    hintTerm: term,
  }),
  heartbeat: fc.record({ ...base, type: fc.constant('heartbeat' as const), commit: index, ctx: text }),
  heartbeatResp: fc.record({ ...base, type: fc.constant('heartbeatResp' as const), ctx: text }),
  snapshot: fc.record({
    ...base,
    type: fc.constant('snapshot' as const),
    snapshot: fc.record({
      meta: fc.record({ index, term, conf: fc.record({ voters: fc.array(member, { maxLength: 7 }) }) }),
      data: bytes,
    }),
  }),
  snapshotStatus: fc.record({ ...base, type: fc.constant('snapshotStatus' as const), reject: fc.boolean(), index }),
  propose: fc.record({ ...base, type: fc.constant('propose' as const), entries }),
  readIndex: fc.record({ ...base, type: fc.constant('readIndex' as const), ctx: text }),
  readIndexResp: fc.record({ ...base, type: fc.constant('readIndexResp' as const), ctx: text, index }),
  timeoutNow: fc.record({ ...base, type: fc.constant('timeoutNow' as const) }),
};
const anyMessage: fc.Arbitrary<Message> = fc.oneof(...Object.values(byType));

function decodeAll(chunks: readonly Buffer[]): Message[] {
  const out: Message[] = [];
  const decoder = new FrameDecoder((m) => void out.push(m), 1 << 20);
  for (const c of chunks) decoder.push(c);
  assert.equal(decoder.midFrame, false);
  return out;
}

for (const [type, arb] of Object.entries(byType)) {
  test(`a ${type} message survives encoding and decoding`, () => {
    fc.assert(
      fc.property(arb, (m) => {
        const frame = encodeFrame(m);
        assert.equal(frame.readUInt32BE(0), frame.length - 4);
        assert.deepStrictEqual(plain(decodeMessage(frame, 4, frame.length)), plain(m));
      }),
      { numRuns: 60 },
    );
  });
}

test('frames split at arbitrary chunk boundaries decode to the same messages in order', () => {
  fc.assert(
    fc.property(
      fc.array(anyMessage, { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (msgs, cuts) => {
        const stream = Buffer.concat(msgs.map(encodeFrame));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
        const chunks: Buffer[] = [];
        let at = 0;
        for (const p of [...points, stream.length]) {
          chunks.push(stream.subarray(at, p));
          at = p;
        }
        assert.deepStrictEqual(decodeAll(chunks).map(plain), msgs.map(plain));
      },
    ),
    { numRuns: 200 },
  );
});

test('a byte-at-a-time stream decodes', () => {
  const msgs = fc.sample(anyMessage, { numRuns: 20, seed: 7 });
  const stream = Buffer.concat(msgs.map(encodeFrame));
  const chunks = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
  assert.deepStrictEqual(decodeAll(chunks).map(plain), msgs.map(plain));
});

test('a decoded message does not change when the chunk it came from is overwritten', () => {
  const m = first(
    fc.sample(
      byType.append.filter((a) => a.entries.length > 0),
      { numRuns: 1, seed: 3 },
    ),
  );
  const frame = Buffer.from(encodeFrame(m));
  const [decoded] = decodeAll([frame]);
  frame.fill(0xee);
  assert.deepStrictEqual(plain(decoded), plain(m));
});

test('the encoder starts a new slab when a frame does not fit, and the bytes match standalone frames', () => {
  const msgs = fc.sample(anyMessage, { numRuns: 40, seed: 11 });
  const encoder = new FrameEncoder(300);
  const written: Buffer[] = [];
  for (const m of msgs) {
    encoder.encode(m, 1 << 20);
    if (written.length % 3 === 0) encoder.flush((b) => void written.push(Buffer.from(b)));
  }
  encoder.flush((b) => void written.push(Buffer.from(b)));
  assert.equal(encoder.pendingBytes, 0);
  assert.deepStrictEqual(Buffer.concat(written), Buffer.concat(msgs.map(encodeFrame)));
});

test('flushed ranges stay intact while the encoder keeps encoding', () => {
  const msgs = fc.sample(anyMessage, { numRuns: 30, seed: 5 });
  const encoder = new FrameEncoder(1024);
  const handedOut: Buffer[] = [];
  for (const m of msgs) {
    encoder.encode(m, 1 << 20);
    encoder.flush((b) => void handedOut.push(b));
  }
  assert.deepStrictEqual(decodeAll(handedOut).map(plain), msgs.map(plain));
});

const sampleAppend = (): Message => ({
  type: 'append',
  from: asMemberId('000000000000000a'),
  to: asMemberId('000000000000000b'),
  term: asTerm(1),
  prevIndex: asIndex(1),
  prevTerm: asTerm(1),
  entries: [{ term: asTerm(1), index: asIndex(2), type: 'normal', data: Buffer.alloc(100, 1) }],
  commit: asIndex(1),
});

test('an invalid message is refused by the encoder without corrupting the frames around it', () => {
  const encoder = new FrameEncoder(4096);
  encoder.encode(sampleAppend(), 1 << 20);
  const bad = { ...sampleAppend(), term: 1.5 } as unknown as Message;
  assert.throws(() => encoder.encode(bad, 1 << 20), FrameError);
  encoder.encode(sampleAppend(), 1 << 20);
  const out: Buffer[] = [];
  encoder.flush((b) => void out.push(b));
  assert.equal(decodeAll(out).length, 2);
});

test('a frame larger than the limit is refused by the encoder', () => {
  const encoder = new FrameEncoder(64);
  assert.throws(() => encoder.encode(sampleAppend(), 50), FrameError);
  assert.equal(encoder.pendingBytes, 0);
});

test('a frame length over the limit is refused by the decoder before it buffers the frame', () => {
  const decoder = new FrameDecoder(() => assert.fail('nothing decodes'), 1000);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(1001);
  assert.throws(() => decoder.push(header), FrameError);
});

test('an unknown message branch is a FrameError', () => {
  const frame = Buffer.from(encodeFrame(sampleAppend()));
  frame[4] = 2 * 60;
  assert.throws(() => decodeAll([frame]), FrameError);
});

test('a frame whose length prefix disagrees with its content is a FrameError', () => {
  const frame = encodeFrame(sampleAppend());
  const longer = Buffer.concat([frame, Buffer.alloc(3)]);
  longer.writeUInt32BE(frame.length - 4 + 3, 0);
  assert.throws(() => decodeAll([longer]), FrameError);
  const shorter = Buffer.from(frame.subarray(0, frame.length - 5));
  shorter.writeUInt32BE(shorter.length - 4, 0);
  assert.throws(() => decodeAll([shorter]), FrameError);
});

test('a forged entry count is refused instead of looping over it', () => {
  // An append with every scalar 0 and an entries block count of 2^40.
  const body = Buffer.from([2 * 4, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0, 0]);
  const frame = Buffer.concat([Buffer.alloc(4), body]);
  frame.writeUInt32BE(body.length, 0);
  assert.throws(() => decodeAll([frame]), FrameError);
});

test('random bytes never escape the decoder as anything but FrameError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 5, maxLength: 200 }), fc.nat(0xff), (raw, tag) => {
      const body = Buffer.from(raw);
      body[0] = tag;
      const frame = Buffer.concat([Buffer.alloc(4), body]);
      frame.writeUInt32BE(body.length, 0);
      try {
        decodeAll([frame]);
      } catch (err) {
        assert.ok(err instanceof FrameError, String(err));
      }
    }),
    { numRuns: 500 },
  );
});

test('a vote without a transfer flag decodes as an ordinary (non-transfer) vote', () => {
  const frame = encodeFrame({
    type: 'vote',
    from: asMemberId('a'),
    to: asMemberId('b'),
    term: asTerm(3),
    lastIndex: asIndex(5),
    lastTerm: asTerm(2),
  });
  const m = decodeMessage(frame, 4, frame.length);
  assert.equal(m.type === 'vote' && m.transfer, false);
});
