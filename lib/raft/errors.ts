/**
 * invalid-config: a RaftConfig field is out of range.
 * invalid-restore: the recovered state is inconsistent (a gap in the entries, a commit beyond the log).
 * ready-outstanding: ready() was called before the previous Ready was advanced.
 * no-ready-outstanding: advance() was called without a Ready handed out.
 * invalid-proposal: propose() was handed data that RaftConfig.checkProposal refuses.
 */
export type RaftErrorCode =
  'invalid-config' | 'invalid-restore' | 'ready-outstanding' | 'no-ready-outstanding' | 'invalid-proposal';

/** Misuse of the raft core by its driver. Messages from peers never throw: bad ones are ignored. */
export class RaftError extends Error {
  constructor(
    readonly code: RaftErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RaftError';
  }
}
