// The Raft core's own types beyond the shared wire vocabulary (lib/wire),
// which is re-exported here so the core's files keep one import.

import type { Entry, HardState, Message, MemberId, ReadState, Role, Snapshot } from '../wire/index.js';

export * from '../wire/index.js';

/**
 * What the raft core asks its driver to do. The driver must, in order:
 * 1. send sendNow: messages that may leave before this Ready is on disk (a
 *    leader's appends go out while its own write runs; it counts its own copy
 *    only after advance);
 * 2. if snapshot: persist it, then restore the state machine from it. A snapshot
 *    from the leader replaces the whole log: discard every stored entry (entries
 *    in the same Ready follow it);
 * 3. persist entries (appending, replacing any stored entries from entries[0].index on)
 *    and hardState, and fsync them when mustSync (etcd's MustSync: new entries, or a
 *    term or vote that changed; a commit index alone may stay unsynced);
 * 4. send sendAfterSync: messages that speak for what step 3 persisted (an append
 *    acknowledged, a vote granted) and must not leave before it is durable;
 * 5. apply committed entries in order (a follower's may include entries of this same
 *    Ready: they are persisted by then), then report readStates once applied;
 * 6. call Raft.advance(ready). ready() is not called again before that.
 */
export interface Ready {
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly sendNow: readonly Message[];
  readonly sendAfterSync: readonly Message[];
  /** The entries and hard state must be fsynced before sendAfterSync leaves and before advance. */
  readonly mustSync: boolean;
  readonly committed: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** Set when the leader or the role changed since the last Ready. */
  readonly softState: { readonly leader: MemberId; readonly role: Role } | null;
}
