// The Avro schemas of the log vocabulary, defined once: the WAL's record union
// and snapshot files (lib/storage) and the peer frames (lib/transport) embed
// this Entry and this SnapshotMeta. Avro's binary encoding carries no names, so
// all of them read the same bytes.

import type { schema } from 'avsc';
import type { EntryType } from './types.js';

/** The entry types in their Avro enum order: the order is the wire format. */
export const ENTRY_TYPES: readonly EntryType[] = ['normal', 'confChange', 'empty'];

/** The Avro Entry record: long term, long index, enum type, bytes data (decoded by hand in entry-codec.ts). */
export const ENTRY_SCHEMA: schema.RecordType = {
  type: 'record',
  name: 'Entry',
  namespace: 'kvd.wal',
  fields: [
    { name: 'term', type: 'long' },
    { name: 'index', type: 'long' },
    { name: 'type', type: { type: 'enum', name: 'EntryType', symbols: [...ENTRY_TYPES] } },
    { name: 'data', type: 'bytes' },
  ],
};

/** The Entry record's full name, by which a schema that defined it earlier refers to it again. */
export const ENTRY_NAME = 'kvd.wal.Entry';

/**
 * The Avro SnapshotMeta record, shaped as the SnapshotMeta type so that both
 * snapshot files and snapshot messages decode straight into it: long index,
 * long term, record conf { array<string> voters }. A record of one field
 * encodes as that field alone, so conf costs no byte.
 */
export const SNAPSHOT_META_SCHEMA: schema.RecordType = {
  type: 'record',
  name: 'SnapshotMeta',
  namespace: 'kvd.wal',
  fields: [
    { name: 'index', type: 'long' },
    { name: 'term', type: 'long' },
    {
      name: 'conf',
      type: {
        type: 'record',
        name: 'ConfState',
        fields: [{ name: 'voters', type: { type: 'array', items: 'string' } }],
      },
    },
  ],
};

/** The SnapshotMeta record's full name, by which a schema that defined it earlier refers to it again. */
export const SNAPSHOT_META_NAME = 'kvd.wal.SnapshotMeta';
