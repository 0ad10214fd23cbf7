// How lib/history decodes this member's snapshots and entries: the state
// machine the apply loop uses, so a replay records the very events the
// member recorded.

import type { StateCodec } from '../history/index.js';
import { decodeProposal } from '../proposal/index.js';
import { decodeServerState, StateMachine } from '../state/index.js';

export const historyCodec: StateCodec = {
  empty: () => new StateMachine(),
  fromSnapshot: (data) => StateMachine.fromSnapshotData(data),
  storeBytes: (data) => decodeServerState(data).store,
  entryTime: (e) => (e.type === 'normal' ? decodeProposal(e.data).time : null),
};
