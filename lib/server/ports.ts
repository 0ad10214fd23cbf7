// What a member needs from the world outside the process: a durable log, a
// snapshot store and a peer network. Production plugs in lib/storage's Wal
// and SnapshotStore and lib/transport's PeerTransport (remote-peers.ts); the
// cluster simulation plugs in a simulated disk and network.

import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import type { Entry, HardState, Index, MemberId, Message, Snapshot, SnapshotMeta } from '../raft/index.js';

/** The write-ahead log as the ready loop uses it. Failures throw lib/storage's StorageError. */
export interface LogStorage {
  /** Writes entries (replacing stored ones from entries[0].index on) and the hard state; durable only once flushed. */
  append(entries: readonly Entry[], hardState: HardState | null, sync?: boolean): void;
  /** Resolves once everything appended is on disk (fdatasync). */
  flush(): Promise<void>;
  /** Records that a snapshot up to meta.index is saved (the log may be cut before it). */
  markSnapshot(meta: SnapshotMeta): void;
  /** Drops log files wholly covered by the snapshot at index. */
  releaseTo(index: Index): unknown;
  close(): void;
}

export interface SnapshotStorage {
  /** Saves durably; resolves with where. */
  save(s: Snapshot): Promise<string>;
  /** The index of the oldest snapshot kept, or null. */
  oldestIndex(): Index | null;
}

/** The peer network as raft sees it. */
export interface RaftTransport {
  /** Hands messages to the network; never throws, delivery is best effort. */
  send(msgs: readonly Message[]): void;
  addPeer(id: MemberId, urls: readonly string[]): void;
  updatePeer(id: MemberId, urls: readonly string[]): void;
  removePeer(id: MemberId): void;
  /** Bytes sent to and received from each peer, for metrics. */
  peerBytes(): Readonly<Record<string, { readonly sentBytes: number; readonly recvBytes: number }>>;
  /** Peer certificate rotation. */
  setTls(serverTls: SecureContextOptions, clientTls: ConnectionOptions): void;
  close(): Promise<void>;
}

/** What the network tells a member. */
export interface PeerEvents {
  message(m: Message): void;
  /** A message to id could not be delivered. */
  unreachable(id: MemberId): void;
  /** A snapshot to id was delivered (ok) or failed. */
  snapshotStatus(id: MemberId, ok: boolean): void;
}

/** The data dir's lock. */
export interface Releasable {
  release(): void;
}
