// The mutations the key tree applies (their shape is the operations table of
// lib/proposal). Each one travels through the log inside a proposal; the store
// applies it with the time stamped on that proposal, so every member computes
// the same tree (including TTL expirations).

/**
 * The longest TTL (seconds) that means something: from any time after 1970
 * its deadline lies past the last time the store represents (JavaScript's
 * 8.64e15 ms), where every longer TTL ends too. A request carries at most
 * this, so that a TTL always fits the log.
 */
export const MAX_TTL_SECONDS = 8.64e12;

export type { StoreOp, StoreRequest } from '../proposal/index.js';
