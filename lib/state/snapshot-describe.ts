// For segdump: what a snapshot's data holds, in an operator's terms.

import { describeAuthData } from '../auth/index.js';
import { StateMachine } from './state-machine.js';

export function describeSnapshotData(data: Buffer): {
  keys: number;
  members: number;
  storeIndex: number;
  list(): Iterable<string>;
  auth: ReturnType<typeof describeAuthData>;
} {
  const sm = StateMachine.fromSnapshotData(data);
  return {
    auth: describeAuthData(sm.auth.data()),
    keys: sm.store.nodeCount,
    members: sm.registry.list().length,
    storeIndex: sm.store.index,
    list: () => sm.store.paths(),
  };
}
