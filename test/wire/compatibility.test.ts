// Snapshot files, log segments and peer frames of earlier versions: the bytes
// main wrote (fixtures/main-encoded.json, made by main at 532b136 before
// SnapshotMeta and the union tag moved into lib/wire) still decode to the
// values they encoded, and those values encode to the same bytes, so a member
// reads the data directory it left and talks to peers of either version.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RecordEncoder } from '../../lib/storage/framing.js';
import {
  peekSnapshotFile,
  readSnapshotFile,
  SnapshotStore,
  type SegmentHeader,
  type SnapshotMarker,
} from '../../lib/storage/index.js';
import { scanSegment } from '../../lib/storage/scan.js';
import { decodeMessage, encodeFrame, FrameDecoder } from '../../lib/transport/codec.js';
import type { Entry, HardState, Message, Snapshot } from '../../lib/wire/index.js';

interface Fixture<T> {
  readonly value: T;
  readonly hex: string;
}
type SegmentRecord =
  | { readonly kind: 'header'; readonly value: SegmentHeader }
  | { readonly kind: 'entry'; readonly value: Entry }
  | { readonly kind: 'hardState'; readonly value: HardState }
  | { readonly kind: 'snapshotMarker'; readonly value: SnapshotMarker };
interface Fixtures {
  readonly snapshotFiles: Fixture<Snapshot>[];
  readonly segment: { readonly records: SegmentRecord[]; readonly hex: string };
  readonly frames: Fixture<Message>[];
}

/** The fixture file writes a Buffer as { "bytes": "<hex>" }. */
const asJson = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (_key, v: unknown) =>
      Buffer.isBuffer(v) || (typeof v === 'object' && v !== null && 'type' in v && v.type === 'Buffer' && 'data' in v)
        ? { bytes: Buffer.from((v as { data: number[] }).data).toString('hex') }
        : v,
    ),
  );
const text = readFileSync(new URL('./fixtures/main-encoded.json', import.meta.url), 'utf8');
/** The fixtures as written: what a decoded value must serialize to. */
const expected = JSON.parse(text) as Fixtures;
/** The fixtures with their bytes as Buffers: what the encoders take. */
const fixtures = JSON.parse(text, (_key, v: unknown) =>
  typeof v === 'object' && v !== null && 'bytes' in v && typeof v.bytes === 'string' ? Buffer.from(v.bytes, 'hex') : v,
) as Fixtures;

const dirs: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'kvd-compat-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('every snapshot file main wrote reads as the snapshot it saved', () => {
  expected.snapshotFiles.forEach((f, i) => {
    const path = join(scratch(), 'main.snap');
    const bytes = Buffer.from(f.hex, 'hex');
    writeFileSync(path, bytes);
    assert.deepEqual(asJson(readSnapshotFile(path)), f.value, `snapshot file ${i}`);
    assert.deepEqual(asJson(peekSnapshotFile(path, bytes.length).meta), f.value.meta, `snapshot file ${i}`);
  });
});

test('every snapshot saves to the file main wrote for it', async () => {
  for (const f of fixtures.snapshotFiles) {
    const path = await new SnapshotStore(scratch()).save(f.value);
    assert.equal(readFileSync(path).toString('hex'), f.hex, `snapshot at index ${f.value.meta.index}`);
  }
});

test('the segment records main wrote, of every kind, scan as the records it encoded', () => {
  const buf = Buffer.from(expected.segment.hex, 'hex');
  const seen: unknown[] = [];
  const scan = scanSegment(buf, true, {
    header: (value) => seen.push({ kind: 'header', value }),
    entry: (value) => seen.push({ kind: 'entry', value }),
    hardState: (value) => seen.push({ kind: 'hardState', value }),
    snapshotMarker: (value) => seen.push({ kind: 'snapshotMarker', value }),
  });
  assert.equal(scan.damage, null);
  assert.equal(scan.end, buf.length);
  assert.deepEqual(asJson(seen), expected.segment.records);
});

test('the same segment records encode to the bytes main wrote', () => {
  const [first] = fixtures.segment.records;
  if (first?.kind !== 'header') assert.fail('the segment fixture starts with its header');
  const enc = new RecordEncoder(16).begin(first.value.prevCrc);
  for (const r of fixtures.segment.records) {
    if (r.kind === 'header') enc.header(r.value);
    else if (r.kind === 'entry') enc.entry(r.value);
    else if (r.kind === 'hardState') enc.hardState(r.value);
    else enc.marker(r.value);
  }
  assert.equal(enc.bytes.toString('hex'), fixtures.segment.hex);
});

test('the fixtures hold a frame of every message type', () => {
  const types = new Set(fixtures.frames.map((f) => f.value.type));
  assert.equal(types.size, 14);
});

test('every peer frame main sent decodes to the message it encoded', () => {
  for (const f of expected.frames) {
    const frame = Buffer.from(f.hex, 'hex');
    assert.deepEqual(asJson(decodeMessage(frame, 4, frame.length)), f.value, f.value.type);
  }
  const streamed: Message[] = [];
  const decoder = new FrameDecoder((m) => void streamed.push(m), 1 << 20);
  decoder.push(Buffer.from(expected.frames.map((f) => f.hex).join(''), 'hex'));
  assert.deepEqual(
    asJson(streamed),
    expected.frames.map((f) => f.value),
  );
});

test('every message encodes to the frame main sent for it', () => {
  for (const f of fixtures.frames) assert.equal(encodeFrame(f.value).toString('hex'), f.hex, f.value.type);
});
