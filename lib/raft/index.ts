// The Raft consensus core: pure, driven by tick()/step() and drained through ready()/advance().
export { Raft } from './raft.js';
export type { RaftConfig, Proposal, ConfChange, RaftStatus, ProgressStatus } from './config.js';
export type { ProgressState } from './progress.js';
export type { ReadonlyRaftLog } from './log.js';
export { ENTRY_OVERHEAD_BYTES } from './log.js';
export { RaftError, type RaftErrorCode } from './errors.js';
export * from './types.js';
