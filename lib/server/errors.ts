// The member's own failures. etcd's server errors as the v2 API answers them
// live in the registry (lib/errors) and are re-exported here.

import type { Entry } from '../raft/index.js';

export {
  etcdServerError,
  etcdServerRefusal,
  requestTimedOut,
  serverStopped,
  tooManyRequests,
} from '../errors/index.js';

const DATA_SHOWN = 32;

/**
 * A committed entry that cannot be applied: a bug or a corrupt log. Applying
 * the log is deterministic, so every later entry depends on this one: the
 * member stops rather than go on without it.
 */
export class EntryApplyError extends Error {
  override readonly name = 'EntryApplyError';
  readonly code = 'ENTRY_NOT_APPLICABLE';
  readonly index: number;
  readonly term: number;
  readonly type: string;
  /** The entry's data as hex, cut after DATA_SHOWN bytes. */
  readonly dataHex: string;

  constructor(e: Entry, cause: unknown, dataDir: string) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `log entry ${e.index} (term ${e.term}, ${e.type}, ${e.data.length} bytes) cannot be applied: ${reason}; ` +
        `the member stops. Inspect it with: segdump dump ${dataDir} --from ${e.index} --to ${e.index}`,
      { cause },
    );
    this.index = e.index;
    this.term = e.term;
    this.type = e.type;
    this.dataHex = e.data.subarray(0, DATA_SHOWN).toString('hex') + (e.data.length > DATA_SHOWN ? '…' : '');
  }
}
