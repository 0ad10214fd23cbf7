export type DiscoveryErrorCode =
  /** The discovery service did not answer (after the retries). */
  | 'UNREACHABLE'
  /** The service's certificate was refused: retrying cannot help. */
  | 'TLS'
  /** The answer is not an etcd v2 keys response: not a discovery URL. */
  | 'BAD_ENDPOINT'
  | 'SIZE_NOT_FOUND'
  | 'BAD_SIZE'
  /** Another registration holds this member's id. */
  | 'DUPLICATE_ID'
  /** Two registrations carry the same member name. */
  | 'DUPLICATE_NAME'
  /** A registration that is not name=peerURL,... */
  | 'INVALID_URL'
  | 'FULL'
  /** The token already bootstrapped a cluster that runs (or this member was part of it). */
  | 'TOKEN_REUSED'
  /** DNS SRV records missing, unreadable, or not naming this member. */
  | 'SRV';

/**
 * A bootstrap by discovery that cannot go on. The message begins with
 * etcd's wording ("discovery: cluster is full") and says what to do.
 */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';

  constructor(
    readonly code: DiscoveryErrorCode,
    message: string,
  ) {
    super(message);
  }
}
