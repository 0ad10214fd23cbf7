// etcd v2's JSON shapes, built by the store and sent to clients as they are.

export type Action = 'get' | 'set' | 'create' | 'update' | 'delete' | 'expire' | 'compareAndSwap' | 'compareAndDelete';

export interface NodeJSON {
  key: string;
  value?: string;
  dir?: true;
  /** RFC 3339 with nanoseconds, as etcd prints it; only on keys with a TTL. */
  expiration?: string;
  /** Whole seconds left, rounded up as etcd does; only on keys with a TTL. */
  ttl?: number;
  nodes?: NodeJSON[];
  modifiedIndex: number;
  createdIndex: number;
}

export interface Event {
  action: Action;
  node: NodeJSON;
  prevNode?: NodeJSON;
  /** The store index after the event (X-Etcd-Index); not part of the JSON body. */
  etcdIndex: number;
}

/** A registered watch; cancel() removes it (idempotent). */
export interface WatchHandle {
  cancel(): void;
}

export interface WatchOptions {
  readonly recursive: boolean;
  /** Keep delivering events; otherwise the watch ends after its first event. */
  readonly stream: boolean;
  /**
   * Deliver events with modifiedIndex >= sinceIndex from history first; null:
   * only future events. One past 2^53 is as good as infinite: no store index gets there.
   */
  readonly sinceIndex: number | null;
}
