// The mutations the key tree applies. Each one travels through the log inside
// a proposal; the store applies it with the time stamped on that proposal, so
// every member computes the same tree (including TTL expirations).

/**
 * The longest TTL (seconds) that means something: from any time after 1970
 * its deadline lies past the last time the store represents (JavaScript's
 * 8.64e15 ms), where every longer TTL ends too. A request carries at most
 * this, so that a TTL always fits the log.
 */
export const MAX_TTL_SECONDS = 8.64e12;

/** Conditions of compareAndSwap / compareAndDelete; absent fields are not checked. */
export interface Preconditions {
  readonly prevValue?: string;
  /** Any unsigned 64-bit value, as etcd takes it; one above every index the store reaches just fails. */
  readonly prevIndex?: bigint;
  /** true: must exist (update); false: must not exist (create). */
  readonly prevExist?: boolean;
}

export type StoreRequest =
  /** PUT /v2/keys/path: set, create, update, compareAndSwap, refresh. */
  | (Preconditions & {
      readonly op: 'put';
      readonly path: string;
      readonly value: string;
      readonly dir: boolean;
      /** Seconds to live; null means permanent (and `ttl=` clears a TTL). */
      readonly ttl: number | null;
      /** Reset the TTL without changing the value and without notifying watchers. */
      readonly refresh: boolean;
    })
  /** POST /v2/keys/dir: create an in-order key (etcd's zero-padded name) under dir. */
  | {
      readonly op: 'post';
      readonly path: string;
      readonly value: string;
      readonly dir: boolean;
      readonly ttl: number | null;
    }
  /** DELETE /v2/keys/path: delete or compareAndDelete. */
  | {
      readonly op: 'delete';
      readonly path: string;
      readonly dir: boolean;
      readonly recursive: boolean;
      readonly prevValue?: string;
      readonly prevIndex?: bigint;
    }
  /** Proposed by the leader: expire every key whose deadline is <= the entry time. */
  | { readonly op: 'sync' };

export type StoreOp = StoreRequest['op'];
