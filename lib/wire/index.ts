// The Raft wire and log vocabulary (etcd's raftpb): the types, the Avro Entry
// record, and the fast Entry decoder. Shared by raft, storage, transport and
// tools; depends on none of them.

export * from './types.js';
export { ENTRY_NAME, ENTRY_SCHEMA, ENTRY_TYPES } from './schema.js';
export { decodeEntry } from './entry-codec.js';
