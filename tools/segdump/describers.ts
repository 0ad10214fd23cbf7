// lib/proposal knows what an entry's bytes mean and lib/state what a
// snapshot's bytes mean; segdump shows them in those terms.

import type { EntryType } from '../../lib/wire/index.js';
import { describeProposal } from '../../lib/proposal/index.js';
import { describeSnapshotData } from '../../lib/state/index.js';

/** Maps an entry's data to fields such as time, method, path, value, ttl, prevValue. */
export type EntryDescriber = (data: Buffer, type: EntryType) => Record<string, unknown>;

export interface SnapshotDescription {
  readonly keys: number;
  list(): Iterable<string>;
  /** Auth: the enabled flag, users with their roles, roles with their patterns; never a password hash. */
  readonly auth?: {
    readonly enabled: boolean;
    readonly users: readonly { user: string; roles: readonly string[] | null }[];
    readonly roles: readonly { role: string }[];
  };
}
export type SnapshotDescriber = (data: Buffer) => SnapshotDescription;

export const describeEntry: EntryDescriber = describeProposal;
export const describeSnapshot: SnapshotDescriber = describeSnapshotData;
