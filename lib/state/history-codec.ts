// How a replay of the log (lib/history: watches from the log, reads at a past
// index; segdump history) decodes this member's snapshots and entries: the
// state machine the apply loop uses, so a replay records the very events the
// member recorded. It matches lib/history's StateCodec, which lib/state does
// not import (it sits below lib/history).

import { decodeProposal } from '../proposal/index.js';
import type { Entry } from '../wire/index.js';
import { decodeServerState } from './state-codec.js';
import { StateMachine } from './state-machine.js';

export const historyCodec = {
  empty: (): StateMachine => new StateMachine(),
  // Decoded a piece per turn of the event loop: a replay runs beside the member's work.
  fromSnapshot: (data: Buffer): Promise<StateMachine> =>
    StateMachine.fromSnapshotDataInPieces(data, () => new Promise((resolve) => setImmediate(resolve))),
  storeBytes: (data: Buffer): Buffer => decodeServerState(data).store,
  entryTime: (e: Entry): number | null => (e.type === 'normal' ? decodeProposal(e.data).time : null),
};
