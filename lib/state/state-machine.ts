// What committed entries build: the key tree, the member list, the voter
// set and the auth data (users, roles, the enabled flag). One deterministic
// function applies an entry, used both when replaying the log at start-up
// and by the live apply loop.

import { AuthState, isAuthOperation, type AuthChange, type AuthError } from '../auth/index.js';
import { NO_MEMBER, type Entry, type MemberId } from '../wire/index.js';
import { etcdServerError, MembershipError, V2Error } from '../errors/index.js';
import { Store, type Event } from '../store/index.js';
import { MemberRegistry, type MemberInfo } from './members.js';
import { decodeMembershipChange, decodeProposal, type MembershipChange } from '../proposal/index.js';
import { decodeServerState, serverStateHead } from './state-codec.js';

export type ApplyResult = Event | V2Error | MembershipError | MemberInfo | AuthChange | AuthError | null;

export interface Applied {
  /** Member that proposed the entry ('' for entries nobody waits for). */
  readonly origin: string;
  readonly seq: number;
  readonly result: ApplyResult;
  /** The membership change the entry made, if any (the caller updates raft and transport). */
  readonly change: MembershipChange | null;
  /** True when the entry was a TTL sync. */
  readonly sync: boolean;
  /** An unexpected failure inside the store (a bug); logged by the caller. */
  readonly internalError: unknown;
}

export class StateMachine {
  store: Store;
  readonly registry: MemberRegistry;
  /** Replaced in place by restore(), so readers may keep hold of it. */
  readonly auth: AuthState;

  constructor(store = new Store(), registry = new MemberRegistry(), auth = new AuthState()) {
    this.store = store;
    this.registry = registry;
    this.auth = auth;
  }

  static fromSnapshotData(data: Buffer): StateMachine {
    const s = decodeServerState(data);
    return new StateMachine(Store.restore(s.store), new MemberRegistry(s.members, s.removed), new AuthState(s.auth));
  }

  /** fromSnapshotData without stalling the event loop: the tree is decoded in pieces, `pause()` awaited between them. */
  static async fromSnapshotDataInPieces(data: Buffer, pause: () => Promise<void>): Promise<StateMachine> {
    const s = decodeServerState(data);
    const store = await Store.restoreInPieces(s.store, pause);
    return new StateMachine(store, new MemberRegistry(s.members, s.removed), new AuthState(s.auth));
  }

  snapshotData(): Buffer {
    const head = serverStateHead(this.registry.list(), this.registry.removed(), this.auth.data());
    return head.fill(this.store.snapshot(head.headroom));
  }

  /**
   * snapshotData() without stalling the event loop: the state is taken at the
   * call (synchronously); encoding it yields between pieces.
   */
  snapshotDataInPieces(pause: () => Promise<void>): Promise<Buffer> {
    const head = serverStateHead(this.registry.list(), this.registry.removed(), this.auth.data());
    return this.store.snapshotInPieces(head.headroom, pause).then((data) => head.fill(data));
  }

  /** Replace everything with a snapshot's state (a snapshot from the leader). */
  restore(data: Buffer): void {
    const s = decodeServerState(data);
    this.store = Store.restore(s.store);
    this.registry.replace(s.members, s.removed);
    this.auth.replace(s.auth);
  }

  voters(): MemberId[] {
    return this.registry.ids();
  }

  apply(e: Entry): Applied {
    if (e.type === 'empty')
      return { origin: NO_MEMBER, seq: 0, result: null, change: null, sync: false, internalError: null };
    if (e.type === 'confChange') {
      const c = decodeMembershipChange(e.data);
      const refused = this.refusedChange(c);
      if (refused)
        return { origin: c.origin, seq: c.seq, result: refused, change: null, sync: false, internalError: null };
      this.registry.apply(c);
      return {
        origin: c.origin,
        seq: c.seq,
        result: this.registry.get(c.id) ?? null,
        change: c,
        sync: false,
        internalError: null,
      };
    }
    const p = decodeProposal(e.data);
    const body = p.body;
    if (body.op === 'publish') {
      this.registry.publish(body);
      return { origin: p.origin, seq: p.seq, result: null, change: null, sync: false, internalError: null };
    }
    if (isAuthOperation(body)) {
      return {
        origin: p.origin,
        seq: p.seq,
        result: this.auth.apply(body),
        change: null,
        sync: false,
        internalError: null,
      };
    }
    try {
      const ev = this.store.apply(body, p.time);
      return { origin: p.origin, seq: p.seq, result: ev, change: null, sync: body.op === 'sync', internalError: null };
    } catch (err) {
      if (err instanceof V2Error)
        return {
          origin: p.origin,
          seq: p.seq,
          result: err,
          change: null,
          sync: body.op === 'sync',
          internalError: null,
        };
      const wrapped = etcdServerError(String(err), this.store.index);
      return {
        origin: p.origin,
        seq: p.seq,
        result: wrapped,
        change: null,
        sync: body.op === 'sync',
        internalError: err,
      };
    }
  }

  /**
   * Changes decided at apply time, so every member decides the same: adding
   * a peer URL that is already in use, or changing a member that is not there.
   */
  private refusedChange(c: MembershipChange): MembershipError | null {
    if (c.type === 'add') {
      const clash = this.registry.withPeerURL(c.peerURLs);
      return clash && clash.id !== c.id ? new MembershipError('PEER_URL_EXISTS') : null;
    }
    if (this.registry.isRemoved(c.id)) return new MembershipError('ID_REMOVED');
    if (!this.registry.has(c.id)) return new MembershipError('ID_NOT_FOUND');
    if (c.type === 'update') {
      const clash = this.registry.withPeerURL(c.peerURLs);
      if (clash && clash.id !== c.id) return new MembershipError('PEER_URL_EXISTS');
    }
    return null;
  }
}
