// The v2 key tree: nodes, directories, TTLs, compare-and-swap, in-order and
// hidden keys, the event history and watchers. Pure and deterministic: time
// comes in with each request, nothing here reads a clock or does I/O.

export { Store, type MutationRequest, type StoreOptions } from './store.js';
export { MAX_TTL_SECONDS, type StoreOp, type StoreRequest } from './request.js';
export type { Action, Event, NodeJSON, WatchHandle, WatchOptions } from './event.js';
export { snapshotIndexOf } from './snapshot.js';
export { cleanPath } from './path.js';
export type { DigestPage } from './hash.js';
export { matchesWatch } from './event-history.js';
export type { EventObserver } from './watcher-hub.js';
export { ErrorCode, V2Error, type ErrorCodeNumber } from './errors.js';
