// Peer TLS options whose certificate material can be replaced while the
// member runs (certificate rotation). Such an object is a plain options
// object — its own enumerable properties are the current options, so every
// `{ ...options }` made when dialling reads the current certificate, and it
// passes through MemberOptions unchanged — that also carries, out of sight
// of spreads, the listeners the peer server registers to swap its secure
// context. Sessions established before a replacement keep their keys.

const LISTENERS = Symbol('kvd.replaceableTls.listeners');

type Listener<T> = (next: T) => void;

export type ReplaceableTls<T extends object> = T & { readonly [LISTENERS]: Set<Listener<T>> };

/** A copy of options whose material replaceTls() can swap later. */
export function replaceableTls<T extends object>(options: T): ReplaceableTls<T> {
  const target = { ...options };
  Object.defineProperty(target, LISTENERS, { value: new Set<Listener<T>>(), enumerable: false });
  return target as ReplaceableTls<T>;
}

/** Makes next the current options of target: new dials use them, and listening servers are told. */
export function replaceTls<T extends object>(target: ReplaceableTls<T>, next: T): void {
  for (const key of Object.keys(target)) delete (target as Record<string, unknown>)[key];
  Object.assign(target, next);
  for (const listener of target[LISTENERS]) listener(next);
}

/**
 * Calls listener with the new options on every replacement of options made
 * by replaceableTls(); returns the function that stops it. Plain options
 * never change: nothing to listen to.
 */
export function onTlsReplaced<T extends object>(options: T, listener: Listener<T>): () => void {
  const listeners = (options as Partial<ReplaceableTls<T>>)[LISTENERS];
  if (listeners === undefined) return () => undefined;
  listeners.add(listener);
  return () => listeners.delete(listener);
}
