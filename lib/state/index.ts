// What committed entries build: the key tree, the member list and the auth
// data, one deterministic apply function for them, and their snapshot data.
// Below the member: the server drives it, tools (segdump, the snapshot
// benchmark) read it without a member.

export { StateMachine, type Applied, type ApplyResult } from './state-machine.js';
export { MemberRegistry, type MemberInfo } from './members.js';
export { decodeServerState, serverStateHead, ServerStateError, type ServerState } from './state-codec.js';
export { describeSnapshotData } from './snapshot-describe.js';
export { historyCodec } from './history-codec.js';
