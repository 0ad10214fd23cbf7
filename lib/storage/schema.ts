// Avro schemas of the write-ahead log records and of snapshot files.
// A WAL record is one Avro union. Its branch index is written as the first
// byte and the branch's record is encoded with the branch's compiled type, so
// the hot path builds no wrapper object, yet the bytes are exactly the union's
// encoding (walRecordType decodes them, as any Avro reader would).

import avro from 'avsc';
import { present } from '../assert.js';
import {
  ENTRY_SCHEMA,
  SNAPSHOT_META_NAME,
  SNAPSHOT_META_SCHEMA,
  unionBranches,
  type Index,
  type SnapshotMeta,
  type Term,
  type UnionBranch,
} from '../wire/index.js';

/** Bumped when the meaning of a record changes; readers refuse versions they do not know. */
export const FORMAT_VERSION = 1;

export interface SegmentHeader {
  readonly formatVersion: number;
  readonly memberId: string;
  readonly clusterId: string;
  readonly seq: number;
  /** The log's last index + 1 when the segment was created. */
  readonly firstIndex: number;
  /** The CRC of the previous segment's last record (0 for the first segment). */
  readonly prevCrc: number;
}

export interface SnapshotMarker {
  readonly index: Index;
  readonly term: Term;
  /**
   * True when the log did not hold (index, term) as an entry, so it restarts
   * empty after the snapshot (what Raft does when it restores such a
   * snapshot); false when the log goes on unchanged.
   */
  readonly resetsLog: boolean;
}

export const walRecordType = avro.Type.forSchema(
  [
    {
      type: 'record',
      name: 'SegmentHeader',
      namespace: 'kvd.wal',
      fields: [
        { name: 'formatVersion', type: 'int' },
        { name: 'memberId', type: 'string' },
        { name: 'clusterId', type: 'string' },
        { name: 'seq', type: 'long' },
        { name: 'firstIndex', type: 'long' },
        { name: 'prevCrc', type: 'long' },
      ],
    },
    ENTRY_SCHEMA,
    {
      type: 'record',
      name: 'HardState',
      namespace: 'kvd.wal',
      fields: [
        { name: 'term', type: 'long' },
        { name: 'vote', type: 'string' },
        { name: 'commit', type: 'long' },
      ],
    },
    {
      type: 'record',
      name: 'SnapshotMarker',
      namespace: 'kvd.wal',
      fields: [
        { name: 'index', type: 'long' },
        { name: 'term', type: 'long' },
        { name: 'resetsLog', type: 'boolean' },
      ],
    },
  ],
  { omitRecordMethods: true, wrapUnions: true },
);

const [header, entry, hardState, marker] = unionBranches(walRecordType);
const branch = (b: UnionBranch | undefined): UnionBranch => present(b, 'the WAL record union has four branches');
export const headerType = branch(header).type;
export const entryType = branch(entry).type;
export const hardStateType = branch(hardState).type;
export const markerType = branch(marker).type;

/** First byte of a record: its union branch's tag. */
export const Tag = {
  Header: branch(header).tag,
  Entry: branch(entry).tag,
  HardState: branch(hardState).tag,
  SnapshotMarker: branch(marker).tag,
} as const;

export type RecordKind = 'header' | 'entry' | 'hardState' | 'snapshotMarker';

export const RECORD_KINDS: readonly RecordKind[] = ['header', 'entry', 'hardState', 'snapshotMarker'];

// ---- snapshot files ----

export const SNAPSHOT_FORMAT_VERSION = 1;

const snapshotRegistry = {};

/**
 * {formatVersion, meta} without the data. A file's record is this head's
 * encoding followed by long(data length) and the data: exactly the encoding
 * of snapshotFileType, written without copying the data into one buffer.
 */
export const snapshotHeadType = avro.Type.forSchema(
  {
    type: 'record',
    name: 'SnapshotHead',
    namespace: 'kvd.snap',
    fields: [
      { name: 'formatVersion', type: 'int' },
      { name: 'meta', type: SNAPSHOT_META_SCHEMA },
    ],
  },
  { omitRecordMethods: true, registry: snapshotRegistry },
);

export const snapshotFileType = avro.Type.forSchema(
  {
    type: 'record',
    name: 'SnapshotFile',
    namespace: 'kvd.snap',
    fields: [
      { name: 'formatVersion', type: 'int' },
      { name: 'meta', type: SNAPSHOT_META_NAME },
      { name: 'data', type: 'bytes' },
    ],
  },
  { omitRecordMethods: true, registry: snapshotRegistry },
);

export const longType = avro.Type.forSchema('long');

export interface SnapshotHead {
  readonly formatVersion: number;
  readonly meta: SnapshotMeta;
}
