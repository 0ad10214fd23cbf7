// The Raft wire and log vocabulary (etcd's raftpb): the types, the Avro Entry
// and SnapshotMeta records, the fast Entry decoder, and how a union's values
// are tagged. Shared by raft, storage, transport and tools; depends on none of them.

export * from './types.js';
export { ENTRY_NAME, ENTRY_SCHEMA, ENTRY_TYPES, SNAPSHOT_META_NAME, SNAPSHOT_META_SCHEMA } from './schema.js';
export { decodeEntry } from './entry-codec.js';
export { unionBranchOf, unionBranches, unionTag, type UnionBranch } from './union.js';
