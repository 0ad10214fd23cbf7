import { RaftError } from './errors.js';
import type { ProgressState } from './progress.js';
import { NO_MEMBER } from './types.js';
import type { ConfState, Entry, HardState, Index, MemberId, Role, Snapshot, Term } from './types.js';

export interface RaftConfig {
  id: MemberId;
  /** Voters of a brand-new cluster. Ignored when `restore` carries a snapshot conf or `conf`. */
  voters: readonly MemberId[];
  /** Ticks without a leader before campaigning; the timeout is random in [electionTick, 2*electionTick). */
  electionTick: number;
  /** Ticks between a leader's heartbeats; less than electionTick. */
  heartbeatTick: number;
  /** Uniform in [0, 1): the only source of randomness. */
  random: () => number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Unacknowledged append messages per follower in replicate state. */
  maxInflight: number;
  /** Entry bytes per append message (data plus ENTRY_OVERHEAD_BYTES each); at least one entry is always sent. */
  maxMsgBytes: number;
  /**
   * Why a proposal's data could not be applied, or null when it can: the
   * leader appends nothing it refuses (a forwarded one is dropped, an own one
   * throws), and a follower forwards nothing it refuses. Default: all accepted.
   */
  checkProposal?: (p: Proposal) => string | null;
  /** Leader: ReadIndex requests (its own and forwarded) waiting at once; more are dropped. Default DEFAULT_MAX_PENDING_READS. */
  maxPendingReads?: number;
  /** State recovered from disk on restart. */
  restore?: {
    hardState: HardState | null;
    /** The newest snapshot; its data is kept for lagging followers. */
    snapshot: Snapshot | null;
    /** Stored entries after snapshot.meta.index, contiguous. */
    entries: readonly Entry[];
    /** Voters as of the applied state, when the server knows them; else the snapshot's, else `voters`. */
    conf?: ConfState;
    /**
     * Committed entries the server already applied while recovering (etcd's
     * Config.Applied): they are not delivered again in Ready.committed.
     */
    applied?: Index;
  };
}

export const DEFAULT_MAX_PENDING_READS = 4096;

export interface Proposal {
  readonly type: 'normal' | 'confChange';
  readonly data: Buffer;
}

export interface ConfChange {
  readonly type: 'add' | 'remove';
  readonly id: MemberId;
}

export interface ProgressStatus {
  readonly match: Index;
  readonly next: Index;
  readonly state: ProgressState;
  readonly inflight: number;
  readonly recentActive: boolean;
}

export interface RaftStatus {
  readonly id: MemberId;
  readonly role: Role;
  readonly term: Term;
  readonly vote: MemberId;
  readonly leader: MemberId;
  readonly commit: Index;
  readonly applied: Index;
  readonly lastIndex: Index;
  readonly firstIndex: Index;
  readonly voters: readonly MemberId[];
  /** The member a leader is handing leadership to, NO_MEMBER when none. */
  readonly leadTransferee: MemberId;
  /** Leader only: one record per other voter. */
  readonly progress: Readonly<Record<string, ProgressStatus>>;
}

/** Throws RaftError('invalid-config') naming the first bad field. */
export function validateConfig(cfg: RaftConfig): void {
  const bad = (what: string): never => {
    throw new RaftError('invalid-config', what);
  };
  if (typeof cfg.id !== 'string' || cfg.id === NO_MEMBER) bad('id must be a non-empty member id');
  if (!Number.isInteger(cfg.heartbeatTick) || cfg.heartbeatTick < 1) bad('heartbeatTick must be an integer >= 1');
  if (!Number.isInteger(cfg.electionTick) || cfg.electionTick <= cfg.heartbeatTick) {
    bad('electionTick must be an integer greater than heartbeatTick');
  }
  if (!Number.isInteger(cfg.maxInflight) || cfg.maxInflight < 1) bad('maxInflight must be an integer >= 1');
  if (!(cfg.maxMsgBytes > 0)) bad('maxMsgBytes must be > 0');
  if (typeof cfg.random !== 'function') bad('random must be a function');
  if (cfg.maxPendingReads !== undefined && (!Number.isInteger(cfg.maxPendingReads) || cfg.maxPendingReads < 1)) {
    bad('maxPendingReads must be an integer >= 1');
  }
}

export const isProposal = (it: { type: unknown; data: unknown }): it is Proposal =>
  (it.type === 'normal' || it.type === 'confChange') && Buffer.isBuffer(it.data);
