// What lib/history needs to know of a member's snapshots and entries, handed
// in by its user (the server and segdump pass lib/state's historyCodec;
// lib/history sits below lib/server and never imports it).

import type { Entry } from '../wire/index.js';
import type { Event, Store } from '../store/index.js';

/** A private copy of the member's state: its tree, and how an entry changes it. */
export interface ReplayMachine {
  readonly store: Store;
  apply(e: Entry): void;
}

/**
 * What lib/history needs to know of a member's state and entries (the server
 * hands it in: lib/history sits below lib/server and never imports it).
 */
export interface StateCodec {
  /** The state before the first entry. */
  empty(): ReplayMachine;
  /** The state a snapshot's data holds, decoded without holding the event loop long. */
  fromSnapshot(data: Buffer): Promise<ReplayMachine>;
  /** The store's own snapshot bytes inside (a prefix of) a snapshot's data; throws when the prefix is too short. */
  storeBytes(data: Buffer): Buffer;
  /** The time stamped on an entry (ms), null for one without. */
  entryTime(e: Entry): number | null;
}

export interface RecordedEvent {
  readonly event: Event;
  /** A refresh: it holds an index but watchers never see it. */
  readonly refresh: boolean;
}
