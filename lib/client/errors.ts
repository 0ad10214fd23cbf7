// Failures of the v2 client, worded as etcd's Go client (client/v2) words
// them, because etcdctl prints these texts and scripts match on them.

/** An etcd error body, printed as etcd's client.Error: "100: Key not found (/foo) [12]". */
export class EtcdError extends Error {
  override readonly name = 'EtcdError';

  constructor(
    readonly errorCode: number,
    readonly etcdMessage: string,
    readonly errorCause: string,
    readonly index: number,
  ) {
    super(`${errorCode}: ${etcdMessage} (${errorCause}) [${index}]`);
  }
}

/**
 * What went wrong talking to one endpoint.
 * dial            the connection could not be made (refused, unreachable, timed out)
 * tls             the member's certificate was refused (nothing was sent)
 * read            the connection broke while the request was in flight
 * header-timeout  no response headers within --timeout
 * deadline        the command's --total-timeout passed ("context deadline exceeded")
 * canceled        the caller gave up (Ctrl+C)
 * server          the member answered 5xx (no leader, ...)
 * protocol        the answer was not a usable etcd answer
 */
export type FailureKind = 'dial' | 'tls' | 'read' | 'header-timeout' | 'deadline' | 'canceled' | 'server' | 'protocol';

export class ClientFailure extends Error {
  override name = 'ClientFailure';

  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

export function deadlineExceeded(): ClientFailure {
  return new ClientFailure('deadline', 'context deadline exceeded');
}

export function canceled(): ClientFailure {
  return new ClientFailure('canceled', 'context canceled');
}

export const invalidJson = (): ClientFailure =>
  new ClientFailure(
    'protocol',
    'client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint',
  );

/** A 200 without a body: what a watch gets when the server ends it without an event. */
export class EmptyBodyError extends ClientFailure {
  constructor() {
    super('protocol', 'client: response body is empty');
  }
}

/** No endpoint to send to: none given, or the cluster publishes no client URLs. */
export class NoEndpointsError extends ClientFailure {
  constructor() {
    super('protocol', 'client: no endpoints available');
  }
}

/** Every endpoint failed; one line per endpoint, as etcd's client.ClusterError. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';

  constructor(readonly errors: readonly Error[]) {
    super(
      'client: etcd cluster is unavailable or misconfigured' +
        errors.map((e, i) => `; error #${i}: ${e.message}\n`).join(''),
    );
  }

  detail(): string {
    return this.errors.map((e, i) => `error #${i}: ${e.message}\n`).join('');
  }
}

/** A refused membership request: the member's {"message": ...} or an unexpected status. */
export class MembersError extends Error {
  override readonly name = 'MembersError';
}

/**
 * etcdctl's isConnectionError: the cluster could not be reached at all
 * (it exits 2 when syncing fails so). A passed deadline counts, being a
 * timeout in Go's terms.
 */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof ClusterError) return err.errors.every(isConnectionError);
  return err instanceof ClientFailure && (err.kind === 'dial' || err.kind === 'read' || err.kind === 'deadline');
}
