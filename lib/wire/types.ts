// The vocabulary shared by raft, storage, transport and server.
// Indexes and terms are branded so a term can never be passed as an index.

export type Index = number & { readonly __brand: 'Index' };
export type Term = number & { readonly __brand: 'Term' };
/** A member id: 16 lowercase hex digits, as etcd prints them ("8e9e05c52164694d"). */
export type MemberId = string & { readonly __brand: 'MemberId' };

export const asIndex = (n: number): Index => n as Index;
export const asTerm = (n: number): Term => n as Term;
export const asMemberId = (s: string): MemberId => s as MemberId;
/** No member: the vote of a member that has not voted, the leader when none is known. */
export const NO_MEMBER = '' as MemberId;

/**
 * The largest term or index a message or a log record may carry. The wire and
 * log codecs write them as Avro longs, and avsc's long stops at 2^53 - 2 (one
 * below Number.MAX_SAFE_INTEGER): a larger value cannot be sent or persisted,
 * so message validation refuses it where it is parsed.
 */
export const MAX_WIRE_INTEGER = 2 ** 53 - 2;

/**
 * How far ahead of its own term a member lets a message's term be. Honest
 * terms grow by one per election; a leap beyond this is forged or corrupt,
 * and adopting it would leave the cluster fewer terms to run on.
 */
export const MAX_TERM_LEAP = 2 ** 32;

/**
 * normal: opaque bytes for the state machine (the server's encoded proposal).
 * confChange: opaque bytes the server decodes into a membership change; when
 *   it applies one, it calls Raft.applyConfChange.
 * empty: the entry a new leader appends to commit entries of earlier terms.
 */
export type EntryType = 'normal' | 'confChange' | 'empty';

export interface Entry {
  readonly term: Term;
  readonly index: Index;
  readonly type: EntryType;
  readonly data: Buffer;
}

export interface HardState {
  readonly term: Term;
  readonly vote: MemberId;
  readonly commit: Index;
}

/** The voters of the cluster at some point of the log. */
export interface ConfState {
  readonly voters: readonly MemberId[];
}

export interface SnapshotMeta {
  readonly index: Index;
  readonly term: Term;
  readonly conf: ConfState;
}

/** data is opaque to raft and storage: the server's encoded state machine. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Buffer;
}

/** A linearizable read point: once applied >= index, a read for ctx may be served. */
export interface ReadState {
  readonly index: Index;
  readonly ctx: string;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

interface MessageBase {
  readonly from: MemberId;
  readonly to: MemberId;
  readonly term: Term;
}

export type Message =
  | (MessageBase & {
      readonly type: 'preVote' | 'vote';
      readonly lastIndex: Index;
      readonly lastTerm: Term;
      /** Set on the vote of a leader transfer: voters grant it even while a leader's lease holds. */
      readonly transfer?: boolean;
    })
  | (MessageBase & { readonly type: 'preVoteResp' | 'voteResp'; readonly reject: boolean })
  | (MessageBase & {
      readonly type: 'append';
      readonly prevIndex: Index;
      readonly prevTerm: Term;
      readonly entries: readonly Entry[];
      readonly commit: Index;
    })
  | (MessageBase & {
      readonly type: 'appendResp';
      readonly reject: boolean;
      /** On success: the last index now matching the leader. On reject: the rejected prevIndex. */
      readonly index: Index;
      /** On reject: the follower's hint for fast backtracking (last index that may match). */
      readonly rejectHint: Index;
      /** On reject: the term of the follower's entry at rejectHint, 0 if none. */
      readonly hintTerm: Term;
    })
  | (MessageBase & { readonly type: 'heartbeat'; readonly commit: Index; readonly ctx: string })
  | (MessageBase & { readonly type: 'heartbeatResp'; readonly ctx: string })
  | (MessageBase & { readonly type: 'snapshot'; readonly snapshot: Snapshot })
  /** Follower → leader after installing (or failing to install) a snapshot. */
  | (MessageBase & { readonly type: 'snapshotStatus'; readonly reject: boolean; readonly index: Index })
  /** A proposal forwarded by a follower to the leader. */
  | (MessageBase & { readonly type: 'propose'; readonly entries: readonly Entry[] })
  | (MessageBase & { readonly type: 'readIndex'; readonly ctx: string })
  | (MessageBase & { readonly type: 'readIndexResp'; readonly ctx: string; readonly index: Index })
  | (MessageBase & { readonly type: 'timeoutNow' });

export type MessageType = Message['type'];
