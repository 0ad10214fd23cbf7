// The log as an event store: watches from any index the log still holds,
// reads of the tree at a past index, and (with lib/store's hash) the replica
// hash check; and every change the log records, for segdump history. Reads
// segments and snapshot files through lib/storage and replays them with the
// state machine it is handed (lib/state's historyCodec).

export { History, DEFAULT_MAX_SCANS, type HistoryOptions, type ReplayPurpose } from './history.js';
export type { ReplayMachine, StateCodec } from './codec.js';
export { serveReplays } from './replay-worker.js';
export { replayLogChanges, type LogChange, type LogChangeVisitor, type LogEnd, type LogStart } from './log-changes.js';
export {
  ReplicaHashes,
  MAX_DIGESTS,
  type CheckReport,
  type HashAnswer,
  type HashPeer,
  type ReplicaHashOptions,
} from './replica-hash.js';
