// Requests to the member that served the page, and nothing else: relative
// URLs only, with a timeout on every one.

import type { ClusterReport, LatencyReport } from '../../lib/server/dashboard-types.js';
import { authorization, authRequired } from './credentials.js';

/** The v2 API's error body. */
export interface EtcdError {
  readonly errorCode: number;
  readonly message: string;
  readonly cause?: string;
  readonly index?: number;
}

export interface V2Node {
  readonly key?: string;
  readonly value?: string;
  readonly dir?: boolean;
  readonly nodes?: readonly V2Node[];
  readonly createdIndex?: number;
  readonly modifiedIndex?: number;
  readonly expiration?: string;
  readonly ttl?: number;
}

export interface V2Event {
  readonly action: string;
  readonly node: V2Node;
  readonly prevNode?: V2Node;
}

export class RequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly etcd: EtcdError | null = null,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** Paths are relative to /dashboard/ so the page works behind any prefix the member is reached at. */
const ROOT = new URL('..', document.baseURI);

async function request(path: string, init: RequestInit = {}, timeoutMs = 8000, outer?: AbortSignal): Promise<Response> {
  const ctl = new AbortController();
  const timer =
    timeoutMs > 0 ? setTimeout(() => ctl.abort(new DOMException('timed out', 'TimeoutError')), timeoutMs) : null;
  const onOuter = () => ctl.abort(outer?.reason);
  outer?.addEventListener('abort', onOuter);
  const headers = new Headers(init.headers);
  const auth = authorization();
  if (auth !== null) headers.set('Authorization', auth);
  try {
    const res = await fetch(new URL(path, ROOT), {
      ...init,
      headers,
      signal: ctl.signal,
      cache: 'no-store',
      credentials: 'same-origin',
    });
    if (res.status === 401) authRequired();
    return res;
  } catch (err) {
    if (ctl.signal.aborted && !outer?.aborted)
      throw new RequestError(`no answer within ${Math.round(timeoutMs / 1000)} s`, 0);
    throw err;
  } finally {
    if (timer !== null) clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RequestError(`${res.status} ${res.statusText}: ${text.slice(0, 200)}`, res.status);
  }
  if (!res.ok) {
    const e = body as Partial<EtcdError>;
    if (typeof e.errorCode === 'number')
      throw new RequestError(`${e.message}${e.cause ? ` (${e.cause})` : ''}`, res.status, e as EtcdError);
    throw new RequestError(`${res.status} ${res.statusText}`, res.status);
  }
  return body as T;
}

export async function fetchLatency(seconds: number): Promise<LatencyReport> {
  return json<LatencyReport>(await request(`dashboard/api/latency?seconds=${seconds}`));
}

/** Whether the cluster has auth enabled (anyone may ask). */
export async function fetchAuthEnabled(): Promise<boolean> {
  return (await json<{ enabled: boolean }>(await request('v2/auth/enable'))).enabled === true;
}

export async function fetchCluster(since: number): Promise<ClusterReport> {
  return json<ClusterReport>(await request(`dashboard/api/cluster?since=${since}`));
}

/** A key's path as the v2 API takes it: each segment escaped, slashes kept. */
export function keyPath(key: string): string {
  const trimmed = key.replace(/^\/+/, '');
  return 'v2/keys/' + trimmed.split('/').map(encodeURIComponent).join('/');
}

export async function getKey(key: string, opts: { sorted?: boolean } = {}): Promise<V2Event> {
  return json<V2Event>(await request(`${keyPath(key)}${opts.sorted ? '?sorted=true' : ''}`));
}

export async function setKey(key: string, value: string, ttlSeconds: number | null): Promise<V2Event> {
  const form = new URLSearchParams({ value });
  if (ttlSeconds !== null) form.set('ttl', String(ttlSeconds));
  return json<V2Event>(await request(keyPath(key), { method: 'PUT', body: form }));
}

export async function deleteKey(key: string, dir: boolean): Promise<V2Event> {
  return json<V2Event>(await request(`${keyPath(key)}${dir ? '?dir=true&recursive=true' : ''}`, { method: 'DELETE' }));
}

/** The current X-Etcd-Index, where a watch starts from (read from the root, which always exists). */
export async function currentIndex(): Promise<number> {
  const res = await request(keyPath('/'), { method: 'HEAD' });
  return Number(res.headers.get('x-etcd-index') ?? '0');
}

/** One long-poll of a recursive watch: the next event at or after `waitIndex`. */
export async function watchOnce(prefix: string, waitIndex: number, signal: AbortSignal): Promise<V2Event> {
  const path = `${keyPath(prefix)}?wait=true&recursive=true&waitIndex=${waitIndex}`;
  return json<V2Event>(await request(path, {}, 0, signal));
}
