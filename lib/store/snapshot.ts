// The store's state as one Avro record. The tree is written column by column
// in pre-order (names, child counts, indexes, then the values of the keys),
// which encodes and decodes much faster than one nested record per node and
// keeps the children of every directory in their order.

import avro from 'avsc';
import type { Action, Event, NodeJSON } from './event.js';
import type { HistoryEntry } from './event-history.js';
import { Node } from './node.js';
import { newCounters, STAT_NAMES, type StoreCounters } from './stats.js';

const FORMAT = 1;

/** A key in the child counts column (directories hold their number of children). */
const KEY = -1;

const ACTIONS: Action[] = ['get', 'set', 'create', 'update', 'delete', 'expire', 'compareAndSwap', 'compareAndDelete'];

const NODE_RECORD: avro.schema.RecordType = {
  type: 'record',
  name: 'EventNode',
  fields: [
    { name: 'key', type: 'string' },
    { name: 'value', type: ['null', 'string'] },
    { name: 'dir', type: 'boolean' },
    { name: 'expiration', type: ['null', 'string'] },
    { name: 'ttl', type: ['null', 'long'] },
    { name: 'modifiedIndex', type: 'long' },
    { name: 'createdIndex', type: 'long' },
  ],
};

const SNAPSHOT_TYPE = avro.Type.forSchema({
  type: 'record',
  name: 'KvdStoreSnapshot',
  namespace: 'kvd.store',
  fields: [
    { name: 'format', type: 'int' },
    { name: 'index', type: 'long' },
    { name: 'historySize', type: 'int' },
    { name: 'rootChildren', type: 'int' },
    { name: 'names', type: { type: 'array', items: 'string' } },
    { name: 'childCounts', type: { type: 'array', items: 'int' } },
    { name: 'createdIndexes', type: { type: 'array', items: 'long' } },
    { name: 'modifiedIndexes', type: { type: 'array', items: 'long' } },
    { name: 'values', type: { type: 'array', items: 'string' } },
    {
      name: 'expiries',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Expiry',
          fields: [
            { name: 'node', type: 'long' },
            { name: 'deadline', type: 'double' },
          ],
        },
      },
    },
    {
      name: 'history',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'HistoryEvent',
          fields: [
            { name: 'action', type: { type: 'enum', name: 'Action', symbols: ACTIONS } },
            { name: 'node', type: NODE_RECORD },
            { name: 'prevNode', type: ['null', 'EventNode'] },
            { name: 'etcdIndex', type: 'long' },
            { name: 'refresh', type: 'boolean' },
          ],
        },
      },
    },
    {
      name: 'counters',
      type: { type: 'record', name: 'Counters', fields: STAT_NAMES.map((name) => ({ name, type: 'long' })) },
    },
  ],
});

interface NodeRecord {
  key: string;
  value: string | null;
  dir: boolean;
  expiration: string | null;
  ttl: number | null;
  modifiedIndex: number;
  createdIndex: number;
}

interface SnapshotRecord {
  format: number;
  index: number;
  historySize: number;
  rootChildren: number;
  names: string[];
  childCounts: number[];
  createdIndexes: number[];
  modifiedIndexes: number[];
  values: string[];
  expiries: { node: number; deadline: number }[];
  history: { action: Action; node: NodeRecord; prevNode: NodeRecord | null; etcdIndex: number; refresh: boolean }[];
  counters: StoreCounters;
}

export interface StoreState {
  index: number;
  historySize: number;
  root: Node;
  nodeCount: number;
  history: HistoryEntry[];
  counters: StoreCounters;
}

export interface RestoredState extends StoreState {
  /** The nodes that have a TTL, for the caller's TTL heap. */
  expiring: Node[];
}

// Reused across snapshots: the previous size is a good first guess for the next.
let sizeHint = 1 << 16;

/**
 * The state as the record to encode: a point-in-time copy (strings are
 * immutable, numbers are copied), so encoding it may take its time while the
 * tree changes.
 */
function collectSnapshot(s: StoreState): SnapshotRecord {
  const n = s.nodeCount;
  const names = new Array<string>(n);
  const childCounts = new Array<number>(n);
  const created = new Array<number>(n);
  const modified = new Array<number>(n);
  const values: string[] = [];
  const expiries: { node: number; deadline: number }[] = [];
  let i = 0;
  // Pre-order without recursion: a stack of child iterators.
  const iters: Iterator<Node>[] = [s.root.children!.values()];
  while (iters.length > 0) {
    const r = iters[iters.length - 1]!.next();
    if (r.done === true) {
      iters.pop();
      continue;
    }
    const node = r.value;
    names[i] = node.name;
    created[i] = node.createdIndex;
    modified[i] = node.modifiedIndex;
    if (node.expiry !== null) expiries.push({ node: i, deadline: node.expiry.deadline });
    if (node.children === null) {
      childCounts[i] = KEY;
      values.push(node.value);
    } else {
      childCounts[i] = node.children.size;
      if (node.children.size > 0) iters.push(node.children.values());
    }
    i++;
  }
  if (i !== n) throw new Error(`store snapshot: counted ${n} nodes but found ${i}`);
  const record: SnapshotRecord = {
    format: FORMAT,
    index: s.index,
    historySize: s.historySize,
    rootChildren: s.root.children!.size,
    names,
    childCounts,
    createdIndexes: created,
    modifiedIndexes: modified,
    values,
    expiries,
    history: s.history.map((h) => ({
      action: h.event.action,
      node: toRecord(h.event.node),
      prevNode: h.event.prevNode === undefined ? null : toRecord(h.event.prevNode),
      etcdIndex: h.event.etcdIndex,
      refresh: h.refresh,
    })),
    counters: { ...s.counters },
  };
  return record;
}

export function encodeSnapshot(s: StoreState, headroom = 0): Buffer {
  const record = collectSnapshot(s);
  let buf = Buffer.allocUnsafe(headroom + sizeHint);
  let end = SNAPSHOT_TYPE.encode(record, buf, headroom);
  if (end < 0) {
    buf = Buffer.allocUnsafe(buf.length - end);
    end = SNAPSHOT_TYPE.encode(record, buf, headroom);
  }
  sizeHint = Math.max(1 << 16, Math.ceil((end - headroom) * 1.1));
  return buf.subarray(0, end);
}

/** Items encoded per piece, between two yields to the event loop. */
const CHUNK_ITEMS = 20_000;

/**
 * The same state as encodeSnapshot, encoded a piece at a time with
 * `pause()` awaited between pieces, so a large tree does not stall the
 * event loop: only collecting the columns is one synchronous step. Large
 * arrays are written as several Avro blocks, which decode the same.
 */
export async function encodeSnapshotInPieces(s: StoreState, headroom: number, pause: () => Promise<void>): Promise<Buffer> {
  const record = collectSnapshot(s) as unknown as Record<string, unknown>;
  const pieces: Buffer[] = [];
  for (const field of (SNAPSHOT_TYPE as avro.types.RecordType).fields) {
    const value = record[field.name];
    const type = field.type;
    if (Array.isArray(value) && value.length > CHUNK_ITEMS) {
      for (let from = 0; from < value.length; from += CHUNK_ITEMS) {
        const block = type.toBuffer(value.slice(from, from + CHUNK_ITEMS));
        // Each block ends with the array's terminating zero count: keep only the last one.
        pieces.push(block.subarray(0, block.length - 1));
        await pause();
      }
      pieces.push(Buffer.from([0]));
    } else {
      pieces.push(type.toBuffer(value));
    }
  }
  const total = pieces.reduce((n, p) => n + p.length, 0);
  const out = Buffer.allocUnsafe(headroom + total);
  let at = headroom;
  for (const p of pieces) {
    p.copy(out, at);
    at += p.length;
    if (p.length > 1 << 20) await pause();
  }
  return out;
}

export function decodeSnapshot(buf: Buffer): RestoredState {
  const r = SNAPSHOT_TYPE.fromBuffer(buf) as SnapshotRecord;
  if (r.format !== FORMAT) throw new Error(`store snapshot: unknown format ${r.format}`);
  const { names, childCounts, createdIndexes, modifiedIndexes, values, expiries } = r;
  const n = names.length;
  if (childCounts.length !== n || createdIndexes.length !== n || modifiedIndexes.length !== n) {
    throw new Error('store snapshot: tree columns differ in length');
  }
  const root = Node.dir('', null, 0);
  const expiring: Node[] = [];
  const dirs: Node[] = [root];
  const remaining: number[] = [r.rootChildren];
  let v = 0;
  let x = 0;
  for (let i = 0; i < n; i++) {
    while (dirs.length > 0 && remaining[remaining.length - 1] === 0) {
      dirs.pop();
      remaining.pop();
    }
    if (dirs.length === 0) throw new Error(`store snapshot: node ${i} has no parent`);
    const parent = dirs[dirs.length - 1]!;
    remaining[remaining.length - 1]!--;
    const name = names[i]!;
    const kids = childCounts[i]!;
    let node: Node;
    if (kids === KEY) {
      if (v >= values.length) throw new Error('store snapshot: fewer values than keys');
      node = Node.key(name, parent, createdIndexes[i]!, values[v++]!);
    } else {
      node = Node.dir(name, parent, createdIndexes[i]!);
      if (kids > 0) {
        dirs.push(node);
        remaining.push(kids);
      }
    }
    node.modifiedIndex = modifiedIndexes[i]!;
    if (x < expiries.length && expiries[x]!.node === i) {
      node.expiry = { deadline: expiries[x]!.deadline, heapPos: -1 };
      expiring.push(node);
      x++;
    }
    if (parent.children!.has(name)) throw new Error(`store snapshot: duplicate name ${JSON.stringify(name)}`);
    parent.children!.set(name, node);
  }
  if (remaining.some((k) => k !== 0)) throw new Error('store snapshot: fewer nodes than the directories hold');
  if (v !== values.length || x !== expiries.length) throw new Error('store snapshot: unused values or expiries');
  if (r.history.length > r.historySize) throw new Error('store snapshot: history longer than its size');
  return {
    index: r.index,
    historySize: r.historySize,
    root,
    nodeCount: n,
    history: r.history.map((h) => ({ event: toEvent(h.action, h.node, h.prevNode, h.etcdIndex), refresh: h.refresh })),
    counters: copyCounters(r.counters),
    expiring,
  };
}

function copyCounters(c: StoreCounters): StoreCounters {
  const out = newCounters();
  for (const name of STAT_NAMES) out[name] = c[name];
  return out;
}

function toRecord(j: NodeJSON): NodeRecord {
  return {
    key: j.key,
    value: j.value ?? null,
    dir: j.dir === true,
    expiration: j.expiration ?? null,
    ttl: j.ttl ?? null,
    modifiedIndex: j.modifiedIndex,
    createdIndex: j.createdIndex,
  };
}

function fromRecord(r: NodeRecord): NodeJSON {
  const out = { key: r.key } as NodeJSON;
  if (r.value !== null) out.value = r.value;
  if (r.dir) out.dir = true;
  if (r.expiration !== null) out.expiration = r.expiration;
  if (r.ttl !== null) out.ttl = r.ttl;
  out.modifiedIndex = r.modifiedIndex;
  out.createdIndex = r.createdIndex;
  return out;
}

function toEvent(action: Action, node: NodeRecord, prevNode: NodeRecord | null, etcdIndex: number): Event {
  const e = { action, node: fromRecord(node) } as Event;
  if (prevNode !== null) e.prevNode = fromRecord(prevNode);
  e.etcdIndex = etcdIndex;
  return e;
}

const intType = avro.Type.forSchema('int');
const longType = avro.Type.forSchema('long');

/**
 * The store index a snapshot holds, read from its first bytes only (the
 * format and index lead the record), or null when `buf` is too short or is
 * not such a snapshot.
 */
export function snapshotIndexOf(buf: Buffer): number | null {
  try {
    const f = intType.decode(buf, 0);
    if (f.offset < 0 || f.value !== FORMAT) return null;
    const i = longType.decode(buf, f.offset);
    return i.offset < 0 ? null : (i.value as number);
  } catch {
    return null;
  }
}
