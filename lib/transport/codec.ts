// Raft messages on the wire: each frame is [u32 big-endian length][Avro Message],
// where Message is one Avro union with a record branch per message type. The
// encoder writes the branch's tag byte itself (lib/wire's unionTag) and encodes
// the branch record directly: the same bytes as the union encoding, without
// wrapping every message in a { Name: record } object.

import avro from 'avsc';
import { present } from '../assert.js';
import {
  ENTRY_NAME,
  ENTRY_SCHEMA,
  SNAPSHOT_META_SCHEMA,
  unionBranchOf,
  unionBranches,
  type Message,
  type MessageType,
  type UnionBranch,
} from '../wire/index.js';

export class FrameError extends Error {
  readonly code = 'EFRAME';
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

const LONG = 'long';
const base = [
  { name: 'from', type: 'string' },
  { name: 'to', type: 'string' },
  { name: 'term', type: LONG },
];
// Named types are defined where first used and referenced by name afterwards.
const entriesDefined = {
  name: 'entries',
  type: {
    type: 'array',
    items: ENTRY_SCHEMA,
  },
};
const entriesReferenced = { name: 'entries', type: { type: 'array', items: ENTRY_NAME } };
const snapshot = {
  name: 'snapshot',
  type: {
    type: 'record',
    name: 'Snapshot',
    fields: [
      { name: 'meta', type: SNAPSHOT_META_SCHEMA },
      { name: 'data', type: 'bytes' },
    ],
  },
};
const field = (name: string, type: unknown) => ({ name, type });
/** A leader transfer's election, which may break a follower's leader lease. */
const transfer = { name: 'transfer', type: 'boolean', default: false };

// Branch order is the wire format: append new message types at the end only.
const BRANCHES: ReadonlyArray<readonly [MessageType, string, readonly unknown[]]> = [
  ['preVote', 'PreVote', [field('lastIndex', LONG), field('lastTerm', LONG), transfer]],
  ['vote', 'Vote', [field('lastIndex', LONG), field('lastTerm', LONG), transfer]],
  ['preVoteResp', 'PreVoteResp', [field('reject', 'boolean')]],
  ['voteResp', 'VoteResp', [field('reject', 'boolean')]],
  ['append', 'Append', [field('prevIndex', LONG), field('prevTerm', LONG), entriesDefined, field('commit', LONG)]],
  [
    'appendResp',
    'AppendResp',
    [field('reject', 'boolean'), field('index', LONG), field('rejectHint', LONG), field('hintTerm', LONG)],
  ],
  ['heartbeat', 'Heartbeat', [field('commit', LONG), field('ctx', 'string')]],
  ['heartbeatResp', 'HeartbeatResp', [field('ctx', 'string')]],
  ['snapshot', 'SnapshotMessage', [snapshot]],
  ['snapshotStatus', 'SnapshotStatus', [field('reject', 'boolean'), field('index', LONG)]],
  ['propose', 'Propose', [entriesReferenced]],
  ['readIndex', 'ReadIndex', [field('ctx', 'string')]],
  ['readIndexResp', 'ReadIndexResp', [field('ctx', 'string'), field('index', LONG)]],
  ['timeoutNow', 'TimeoutNow', []],
];

/** The Avro schema of one frame's payload (also what a foreign reader needs). */
export const MESSAGE_SCHEMA = BRANCHES.map(([, name, fields]) => ({
  type: 'record',
  name,
  namespace: 'kvd.raft',
  fields: [...base, ...fields],
}));

// avsc sizes an array from its block count before reading the items, so a
// forged count (2^40) would loop for minutes over a short frame. Every item
// here takes at least one byte, so a count larger than the bytes left is a lie.
const ArrayType = avro.types.ArrayType as unknown as new (schema: unknown, opts: unknown) => object;
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
}
interface ItemReader {
  _read(tap: Tap): unknown;
}
class BoundedArrayType extends ArrayType {
  _read(tap: Tap): unknown[] {
    const items = (this as unknown as { itemsType: ItemReader }).itemsType;
    const out: unknown[] = [];
    let n: number;
    while ((n = tap.readLong()) !== 0) {
      if (n < 0) {
        n = -n;
        tap.skipLong();
      }
      if (!(n <= tap.buf.length - tap.pos)) throw new FrameError(`array block of ${n} items overruns the frame`);
      while (n-- > 0) out.push(items._read(tap));
    }
    return out;
  }
}

/** The compiled union: its branches encode messages, and tools read frames generically with it. */
export const messageType: avro.Type = avro.Type.forSchema(MESSAGE_SCHEMA as avro.Schema, {
  wrapUnions: true,
  omitRecordMethods: true,
  typeHook: (schema, opts) =>
    typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'array'
      ? (new BoundedArrayType(schema, opts) as unknown as avro.Type)
      : undefined,
});

interface Branch extends UnionBranch {
  readonly messageType: MessageType;
}
const branchList: readonly Branch[] = unionBranches(messageType).map((b, i) => ({
  ...b,
  messageType: present(BRANCHES[i], 'the message union has one branch per BRANCHES row')[0],
}));
const branchByType = new Map<string, Branch>(branchList.map((b) => [b.messageType, b]));

/** Bytes of the u32 length prefix. */
export const FRAME_HEADER_BYTES = 4;

/**
 * Decodes the Avro payload buf[start, end) into a Message.
 * Bytes fields are copied out of buf (avsc allocates them), so buf may be reused.
 */
export function decodeMessage(buf: Buffer, start: number, end: number): Message {
  const tag = start < end ? buf[start] : undefined;
  if (tag === undefined) throw new FrameError('empty frame');
  const branch = branchList[unionBranchOf(tag)];
  if (branch === undefined) throw new FrameError(`unknown message branch byte ${tag}`);
  let decoded: { value: unknown; offset: number };
  try {
    decoded = branch.type.decode(buf, start + 1);
  } catch (err) {
    throw new FrameError(`malformed ${branch.messageType} message: ${(err as Error).message}`);
  }
  if (decoded.offset !== end) {
    throw new FrameError(
      `malformed ${branch.messageType} message: ${end - start} frame bytes, decoded ${decoded.offset < 0 ? 'past the end' : decoded.offset - start}`,
    );
  }
  const m = decoded.value as { type: MessageType };
  m.type = branch.messageType;
  return m as unknown as Message;
}

/** Encodes one message as a standalone frame (for rare messages; the hot path uses FrameEncoder). */
export function encodeFrame(m: Message): Buffer {
  const enc = new FrameEncoder(256);
  enc.encode(m, Number.MAX_SAFE_INTEGER);
  const parts: Buffer[] = [];
  enc.flush((b) => parts.push(b));
  return parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts);
}

/**
 * Encodes frames back to back into a slab that is reused until it is full.
 * Written ranges are handed out by flush() as views; a view handed to a stream
 * stays valid because the encoder only ever appends after it, and starts a
 * fresh slab (leaving the old one to the stream) when the current one is full.
 */
export class FrameEncoder {
  private slab: Buffer;
  private start = 0;
  private pos = 0;
  private readonly full: Buffer[] = [];
  private fullBytes = 0;

  constructor(private readonly slabBytes: number) {
    this.slab = Buffer.allocUnsafe(slabBytes);
  }

  /** Bytes encoded and not yet flushed. */
  get pendingBytes(): number {
    return this.fullBytes + this.pos - this.start;
  }

  /** Number of buffers the next flush hands out. */
  get pendingChunks(): number {
    return this.full.length + (this.pos > this.start ? 1 : 0);
  }

  /**
   * Appends one frame; returns its size in bytes. Throws FrameError (encoding
   * nothing) when the message is invalid or its frame would exceed maxFrameBytes.
   */
  encode(m: Message, maxFrameBytes: number): number {
    const branch = branchByType.get(m.type);
    if (branch === undefined) throw new FrameError(`unknown message type ${String(m.type)}`);
    for (let attempt = 0; attempt < 2; attempt++) {
      const at = this.pos;
      const room = this.slab.length - at;
      let need = FRAME_HEADER_BYTES + 1 + 64;
      if (room > FRAME_HEADER_BYTES + 1) {
        let end: number;
        try {
          end = branch.type.encode(m, this.slab, at + FRAME_HEADER_BYTES + 1);
        } catch (err) {
          throw new FrameError(`cannot encode ${m.type} message: ${(err as Error).message}`);
        }
        if (end >= 0) {
          const payload = end - at - FRAME_HEADER_BYTES;
          if (payload > maxFrameBytes)
            throw new FrameError(`${m.type} frame of ${payload} bytes exceeds ${maxFrameBytes}`);
          this.slab.writeUInt32BE(payload, at);
          this.slab[at + FRAME_HEADER_BYTES] = branch.tag;
          this.pos = end;
          return end - at;
        }
        need = room - end; // encode() returns minus the bytes missing
        if (need - FRAME_HEADER_BYTES > maxFrameBytes) {
          throw new FrameError(`${m.type} frame of ${need - FRAME_HEADER_BYTES} bytes exceeds ${maxFrameBytes}`);
        }
      }
      this.retire();
      this.slab = Buffer.allocUnsafe(Math.max(this.slabBytes, need));
      this.start = this.pos = 0;
    }
    throw new FrameError(`cannot size a buffer for a ${m.type} message`);
  }

  /** Hands every pending byte range to write, in order, and forgets them. */
  flush(write: (chunk: Buffer) => void): void {
    this.retire();
    for (let i = 0; i < this.full.length; i++) write(present(this.full[i], 'i < full.length'));
    this.full.length = 0;
    this.fullBytes = 0;
    if (this.slab.length > this.slabBytes) {
      // An oversized slab made for one big frame is not kept around.
      this.slab = Buffer.allocUnsafe(this.slabBytes);
      this.start = this.pos = 0;
    }
  }

  /** Drops everything not yet flushed (the stream it was meant for is gone). */
  reset(): void {
    this.full.length = 0;
    this.fullBytes = 0;
    this.start = this.pos;
  }

  private retire(): void {
    if (this.pos > this.start) {
      this.full.push(this.slab.subarray(this.start, this.pos));
      this.fullBytes += this.pos - this.start;
      this.start = this.pos;
    }
  }
}

/**
 * Splits a byte stream into frames and decodes them. A frame that lies inside
 * one chunk is decoded in place; only a frame straddling chunks is gathered,
 * into one buffer sized from its length prefix, so each byte is copied at most once.
 */
export class FrameDecoder {
  private acc: Buffer = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  private accLen = 0;
  /** Total bytes (prefix included) of the frame being gathered; 0 until its prefix is complete. */
  private need = 0;

  constructor(
    private readonly onMessage: (m: Message, frameBytes: number) => void,
    private readonly maxFrameBytes: number,
  ) {}

  /** True when a partial frame is waiting for more bytes. */
  get midFrame(): boolean {
    return this.accLen > 0;
  }

  /** Throws FrameError on a malformed or oversized frame; the stream is unusable after that. */
  push(chunk: Buffer): void {
    let pos = 0;
    if (this.accLen > 0) {
      pos = this.gather(chunk);
      if (pos < 0) return;
    }
    const len = chunk.length;
    while (len - pos >= FRAME_HEADER_BYTES) {
      const payload = this.checkLength(chunk.readUInt32BE(pos));
      const end = pos + FRAME_HEADER_BYTES + payload;
      if (end > len) break;
      this.onMessage(decodeMessage(chunk, pos + FRAME_HEADER_BYTES, end), FRAME_HEADER_BYTES + payload);
      pos = end;
    }
    if (pos < len) this.stash(chunk, pos);
  }

  /** Continues a partial frame; returns where the rest of chunk starts, or -1 when chunk was used up. */
  private gather(chunk: Buffer): number {
    let pos = 0;
    if (this.need === 0) {
      const take = Math.min(FRAME_HEADER_BYTES - this.accLen, chunk.length);
      chunk.copy(this.acc, this.accLen, 0, take);
      this.accLen += take;
      pos = take;
      if (this.accLen < FRAME_HEADER_BYTES) return -1;
      this.startFrame(this.checkLength(this.acc.readUInt32BE(0)));
    }
    const take = Math.min(this.need - this.accLen, chunk.length - pos);
    chunk.copy(this.acc, this.accLen, pos, pos + take);
    this.accLen += take;
    pos += take;
    if (this.accLen < this.need) return -1;
    const m = decodeMessage(this.acc, FRAME_HEADER_BYTES, this.need);
    const bytes = this.need;
    this.accLen = 0;
    this.need = 0;
    if (this.acc.length > 1 << 20) this.acc = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    this.onMessage(m, bytes);
    return pos;
  }

  private stash(chunk: Buffer, pos: number): void {
    const rest = chunk.length - pos;
    if (rest >= FRAME_HEADER_BYTES) {
      this.startFrame(chunk.readUInt32BE(pos));
    }
    chunk.copy(this.acc, 0, pos);
    this.accLen = rest;
  }

  private startFrame(payload: number): void {
    this.need = FRAME_HEADER_BYTES + payload;
    if (this.acc.length < this.need) {
      const acc = Buffer.allocUnsafe(Math.max(this.need, 4096));
      this.acc.copy(acc, 0, 0, this.accLen);
      this.acc = acc;
    }
  }

  private checkLength(payload: number): number {
    if (payload === 0) throw new FrameError('empty frame');
    if (payload > this.maxFrameBytes) throw new FrameError(`frame of ${payload} bytes exceeds ${this.maxFrameBytes}`);
    return payload;
  }
}
