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

/** A SnapshotRecord whose number columns may be typed arrays (the encoder turns them into arrays a block at a time). */
type SlicedRecord = Omit<SnapshotRecord, 'childCounts' | 'createdIndexes' | 'modifiedIndexes'> & {
  childCounts: number[] | Int32Array;
  createdIndexes: number[] | Float64Array;
  modifiedIndexes: number[] | Float64Array;
};

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
  // Grown by push: new Array(n) of a large n makes a slow dictionary-mode array in V8.
  const names: string[] = [];
  const childCounts: number[] = [];
  const created: number[] = [];
  const modified: number[] = [];
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
    names.push(node.name);
    created.push(node.createdIndex);
    modified.push(node.modifiedIndex);
    if (node.expiry !== null) expiries.push({ node: i, deadline: node.expiry.deadline });
    if (node.children === null) {
      childCounts.push(KEY);
      values.push(node.value);
    } else {
      childCounts.push(node.children.size);
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

/**
 * The tree as it was when a snapshot began, while the snapshot is collected
 * a slice at a time and the tree goes on changing: the store calls the
 * `before*` hooks right before it changes a directory's children or a
 * node's value, modifiedIndex or TTL, and the first such call keeps what was
 * there (copy-on-write). A copy kept for a node the collection has already
 * passed is never read; the copies last until the collection ends and are at
 * most one per node changed meanwhile.
 */
export class FrozenView {
  private readonly children = new Map<Node, Node[]>();
  private readonly fields = new Map<Node, { value: string; modifiedIndex: number; deadline: number | null }>();

  beforeChildrenChange(dir: Node): void {
    if (!this.children.has(dir)) this.children.set(dir, Array.from(dir.children!.values()));
  }

  beforeFieldsChange(n: Node): void {
    if (!this.fields.has(n))
      this.fields.set(n, {
        value: n.value,
        modifiedIndex: n.modifiedIndex,
        deadline: n.expiry === null ? null : n.expiry.deadline,
      });
  }

  /** The directory's children at the start, if they have changed since. */
  frozenChildren(dir: Node): Node[] | undefined {
    return this.children.get(dir);
  }

  valueOf(n: Node): string {
    return this.fields.get(n)?.value ?? n.value;
  }

  modifiedIndexOf(n: Node): number {
    return this.fields.get(n)?.modifiedIndex ?? n.modifiedIndex;
  }

  deadlineOf(n: Node): number | null {
    const f = this.fields.get(n);
    if (f !== undefined) return f.deadline;
    return n.expiry === null ? null : n.expiry.deadline;
  }
}

/** Nodes collected between two looks at the clock. */
const COLLECT_CHECK_NODES = 256;

/**
 * What collectSnapshot collects, a slice of about SLICE_MS at a time with
 * `pause()` awaited between slices, reading the tree through `view` (which
 * the store keeps at its state when `s` was taken). `s` must have been taken
 * at the call, with its history and counters copied.
 */
async function collectSnapshotInSlices(
  s: StoreState,
  view: FrozenView,
  pause: () => Promise<void>,
): Promise<{ record: SlicedRecord; bytes: number }> {
  const n = s.nodeCount;
  let bytes = 64 + n * 16;
  // Grown by push: new Array(n) of a large n makes a slow dictionary-mode array in V8. The
  // number columns are typed arrays, outside the heap the GC copies while the snapshot runs.
  const names: string[] = [];
  const childCounts = new Int32Array(n);
  const created = new Float64Array(n);
  const modified = new Float64Array(n);
  const values: string[] = [];
  const expiries: { node: number; deadline: number }[] = [];
  // A directory being walked: its children as a live iterator until they change, then as the copy kept at the start.
  interface Frame {
    readonly dir: Node;
    readonly iter: Iterator<Node>;
    pos: number;
  }
  const rootChildren = view.frozenChildren(s.root)?.length ?? s.root.children!.size;
  const frames: Frame[] = [{ dir: s.root, iter: s.root.children!.values(), pos: 0 }];
  const childCount = (dir: Node): number => view.frozenChildren(dir)?.length ?? dir.children!.size;
  let i = 0;
  let sliceStart = performance.now();
  while (frames.length > 0) {
    const f = frames[frames.length - 1]!;
    const frozen = view.frozenChildren(f.dir);
    let node: Node | undefined;
    if (frozen !== undefined) node = frozen[f.pos];
    else {
      const r = f.iter.next();
      node = r.done === true ? undefined : r.value;
    }
    if (node === undefined) {
      frames.pop();
      continue;
    }
    f.pos++;
    if (i >= n) throw new Error(`store snapshot: counted ${n} nodes but found more`);
    names.push(node.name);
    bytes += node.name.length;
    created[i] = node.createdIndex;
    modified[i] = view.modifiedIndexOf(node);
    const deadline = view.deadlineOf(node);
    if (deadline !== null) expiries.push({ node: i, deadline });
    if (node.children === null) {
      childCounts[i] = KEY;
      const v = view.valueOf(node);
      values.push(v);
      bytes += v.length;
    } else {
      const kids = childCount(node);
      childCounts[i] = kids;
      if (kids > 0) frames.push({ dir: node, iter: node.children.values(), pos: 0 });
    }
    i++;
    if (i % COLLECT_CHECK_NODES === 0 && performance.now() - sliceStart >= SLICE_MS) {
      await pause();
      sliceStart = performance.now();
    }
  }
  if (i !== n) throw new Error(`store snapshot: counted ${n} nodes but found ${i}`);
  bytes += expiries.length * 12;
  const record: SlicedRecord = {
    format: FORMAT,
    index: s.index,
    historySize: s.historySize,
    rootChildren,
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
    counters: s.counters,
  };
  for (const h of record.history) {
    bytes += 48 + h.node.key.length + (h.node.value?.length ?? 0);
    if (h.prevNode !== null) bytes += 32 + h.prevNode.key.length + (h.prevNode.value?.length ?? 0);
  }
  return { record, bytes };
}

/** Items per Avro array block: one block encodes in well under a millisecond. */
const BLOCK_ITEMS = 512;
/** How long the encoder may hold the event loop before it awaits `pause()`. */
const SLICE_MS = 1;

/** An output buffer that Avro types encode into at `pos`, growing when one does not fit. */
class Output {
  buf: Buffer;
  pos: number;

  constructor(size: number, headroom: number) {
    this.buf = Buffer.allocUnsafe(headroom + size);
    this.pos = headroom;
  }

  put(type: avro.Type, value: unknown): void {
    let end = type.encode(value, this.buf, this.pos);
    if (end < 0) {
      // encode returns minus the bytes missing; grow by at least half, so that growing stays rare.
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length - end, Math.ceil(this.buf.length * 1.5)));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
      end = type.encode(value, this.buf, this.pos);
    }
    this.pos = end;
  }
}

/**
 * The same state as encodeSnapshot, collected and encoded in slices of
 * about a millisecond with `pause()` awaited between them, so a large tree
 * does not stall the event loop. The tree is read through `view`, which the
 * store keeps at the state `s` was taken in (its history and counters must
 * be copies). Arrays are written as Avro blocks of BLOCK_ITEMS items, which
 * decode the same as one block.
 */
export async function encodeSnapshotInPieces(
  s: StoreState,
  view: FrozenView,
  headroom: number,
  pause: () => Promise<void>,
): Promise<Buffer> {
  const { record, bytes } = await collectSnapshotInSlices(s, view, pause);
  const out = new Output(Math.max(sizeHint, Math.ceil(bytes * 1.05)), headroom);
  const fields = record as unknown as Record<string, unknown>;
  let sliceStart = performance.now();
  for (const field of (SNAPSHOT_TYPE as avro.types.RecordType).fields) {
    const value = fields[field.name];
    const typed = value instanceof Int32Array || value instanceof Float64Array;
    if (!typed && !Array.isArray(value)) {
      out.put(field.type, value);
      continue;
    }
    const items = value as ArrayLike<unknown> & { slice(from: number, to: number): ArrayLike<unknown> };
    for (let from = 0; from < items.length; from += BLOCK_ITEMS) {
      const block = items.slice(from, from + BLOCK_ITEMS);
      out.put(field.type, typed ? Array.from(block) : block);
      // Each block ends with the array's terminating zero count: keep only the last one.
      out.pos--;
      if (performance.now() - sliceStart >= SLICE_MS) {
        await pause();
        sliceStart = performance.now();
      }
    }
    out.buf[out.pos++] = 0;
  }
  sizeHint = Math.max(1 << 16, Math.ceil((out.pos - headroom) * 1.1));
  return out.buf.subarray(0, out.pos);
}

export function decodeSnapshot(buf: Buffer): RestoredState {
  const tree = new TreeBuilder(SNAPSHOT_TYPE.fromBuffer(buf) as SnapshotRecord);
  tree.build(Infinity);
  return tree.finish();
}

/** Nodes rebuilt (or array items decoded) between two looks at the clock. */
const STEPS_PER_CHECK = 1024;

/**
 * decodeSnapshot without stalling the event loop: the record is decoded an
 * item at a time and the tree rebuilt a stretch of nodes at a time, with
 * `pause()` awaited whenever about a millisecond has passed.
 */
export async function decodeSnapshotInPieces(buf: Buffer, pause: () => Promise<void>): Promise<RestoredState> {
  let sliceStart = performance.now();
  const maybePause = async (): Promise<void> => {
    if (performance.now() - sliceStart < SLICE_MS) return;
    await pause();
    sliceStart = performance.now();
  };
  const steps = decodeRecordInSteps(buf);
  let next = steps.next();
  for (let n = 1; next.done !== true; n++) {
    if (n % STEPS_PER_CHECK === 0) await maybePause();
    next = steps.next();
  }
  const tree = new TreeBuilder(next.value);
  while (!tree.done) {
    tree.build(STEPS_PER_CHECK);
    await maybePause();
  }
  return tree.finish();
}

/** The snapshot record decoded field by field, yielding after each array item. */
function* decodeRecordInSteps(buf: Buffer): Generator<void, SnapshotRecord> {
  const out: Record<string, unknown> = {};
  let pos = 0;
  const read = (type: avro.Type): unknown => {
    const d = type.decode(buf, pos);
    if (d.offset < 0) throw new Error('store snapshot: truncated');
    pos = d.offset;
    return d.value;
  };
  for (const field of (SNAPSHOT_TYPE as avro.types.RecordType).fields) {
    if (!(field.type instanceof avro.types.ArrayType)) {
      out[field.name] = read(field.type);
      continue;
    }
    const itemType = field.type.itemsType;
    const items: unknown[] = [];
    // An Avro array: blocks of a count (negative: followed by the block's size in bytes) and its items, then 0.
    for (let count = read(longType) as number; count !== 0; count = read(longType) as number) {
      if (count < 0) {
        read(longType);
        count = -count;
      }
      for (let i = 0; i < count; i++) {
        items.push(read(itemType));
        yield;
      }
    }
    out[field.name] = items;
  }
  if (pos !== buf.length) throw new Error('store snapshot: bytes after the record');
  return out as unknown as SnapshotRecord;
}

/** Rebuilds the tree a decoded record holds, in as many stretches of nodes as its caller likes. */
class TreeBuilder {
  private readonly root = Node.dir('', null, 0);
  private readonly expiring: Node[] = [];
  private readonly dirs: Node[] = [this.root];
  private readonly remaining: number[];
  /** The next node, value and expiry to take. */
  private i = 0;
  private v = 0;
  private x = 0;

  constructor(private readonly r: SnapshotRecord) {
    if (r.format !== FORMAT) throw new Error(`store snapshot: unknown format ${r.format}`);
    const n = r.names.length;
    if (r.childCounts.length !== n || r.createdIndexes.length !== n || r.modifiedIndexes.length !== n) {
      throw new Error('store snapshot: tree columns differ in length');
    }
    this.remaining = [r.rootChildren];
  }

  get done(): boolean {
    return this.i >= this.r.names.length;
  }

  /** Rebuilds up to `count` more nodes. */
  build(count: number): void {
    const { names, childCounts, createdIndexes, modifiedIndexes, values, expiries } = this.r;
    const { dirs, remaining, expiring } = this;
    const end = Math.min(names.length, this.i + count);
    let v = this.v;
    let x = this.x;
    for (let i = this.i; i < end; i++) {
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
    this.i = end;
    this.v = v;
    this.x = x;
  }

  /** The state, once every node is rebuilt. */
  finish(): RestoredState {
    const r = this.r;
    if (this.remaining.some((k) => k !== 0)) throw new Error('store snapshot: fewer nodes than the directories hold');
    if (this.v !== r.values.length || this.x !== r.expiries.length)
      throw new Error('store snapshot: unused values or expiries');
    if (r.history.length > r.historySize) throw new Error('store snapshot: history longer than its size');
    return {
      index: r.index,
      historySize: r.historySize,
      root: this.root,
      nodeCount: r.names.length,
      history: r.history.map((h) => ({
        event: toEvent(h.action, h.node, h.prevNode, h.etcdIndex),
        refresh: h.refresh,
      })),
      counters: copyCounters(r.counters),
      expiring: this.expiring,
    };
  }
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
