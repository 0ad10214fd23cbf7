// Invariant checks that stay on in production. A failed one is a bug or a
// corrupt disk: the member must stop (fail-stop) rather than go on from a
// state it cannot trust. The ready loop turns an AssertionFailure into a
// fatal log line and a stop.

export class AssertionFailure extends Error {
  readonly code = 'ASSERTION_FAILED';

  constructor(
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'AssertionFailure';
  }
}

/** Throws AssertionFailure with message (and details for the log line) unless cond holds. */
export function assert(cond: unknown, message: string, details?: Readonly<Record<string, unknown>>): asserts cond {
  if (!cond) throw new AssertionFailure(message, details);
}

/** For the default branch of an exhaustive switch: the compiler proves it unreachable, the runtime checks. */
export function unreachable(value: never, what = 'value'): never {
  throw new AssertionFailure(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/**
 * The value an invariant promises is there (an index inside its array's bounds,
 * a key the code just put in a map), or fail-stop naming that invariant. Pass a
 * constant string: it is called on hot paths and must not build one per call.
 */
export function present<T>(value: T | undefined, invariant: string): T {
  if (value === undefined) throw new AssertionFailure(`broken invariant: ${invariant}`);
  return value;
}
