// Request builders and assertions shared by the store tests.

import assert from 'node:assert/strict';
import { Store, V2Error, type Event, type StoreRequest, type WatchOptions } from '../../lib/store/index.js';

/** A fixed entry time: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

type Put = Extract<StoreRequest, { op: 'put' }>;
type Del = Extract<StoreRequest, { op: 'delete' }>;
type Post = Extract<StoreRequest, { op: 'post' }>;

export function put(path: string, value: string, more: Partial<Omit<Put, 'op' | 'path'>> = {}): Put {
  return { op: 'put', path, value, dir: false, ttl: null, refresh: false, ...more };
}

export function putDir(path: string, more: Partial<Omit<Put, 'op' | 'path'>> = {}): Put {
  return { op: 'put', path, value: '', dir: true, ttl: null, refresh: false, ...more };
}

export function del(path: string, more: Partial<Omit<Del, 'op' | 'path'>> = {}): Del {
  return { op: 'delete', path, dir: false, recursive: false, ...more };
}

export function post(path: string, value: string, more: Partial<Omit<Post, 'op' | 'path'>> = {}): Post {
  return { op: 'post', path, value, dir: false, ttl: null, ...more };
}

export const SYNC: StoreRequest = { op: 'sync' };

/** A store with the given requests applied at T0. */
export function storeWith(...reqs: StoreRequest[]): Store {
  const s = new Store();
  for (const r of reqs) s.apply(r, T0);
  return s;
}

/** Runs `f`, expects a V2Error with this code (and cause and index when given), returns it. */
export function expectV2Error(f: () => unknown, code: number, cause?: string, index?: number): V2Error {
  let caught: unknown;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof V2Error, `expected V2Error ${code}, got ${String(caught)}`);
  assert.equal(caught.errorCode, code);
  if (cause !== undefined) assert.equal(caught.cause, cause);
  if (index !== undefined) assert.equal(caught.index, index);
  return caught;
}

export const ONCE: WatchOptions = { recursive: false, stream: false, sinceIndex: null };
export const STREAM: WatchOptions = { recursive: false, stream: true, sinceIndex: null };

/** Registers a watcher that collects its events. */
export function collect(s: Store, path: string, opts: WatchOptions): { events: Event[]; cancel(): void } {
  const events: Event[] = [];
  const h = s.watch(path, opts, (e) => events.push(e));
  return { events, cancel: () => h.cancel() };
}

/** The event as a client sees it: the JSON body, without etcdIndex. */
export function body(e: Event): string {
  const { etcdIndex: _, ...rest } = e;
  return JSON.stringify(rest);
}
