// The /v2/keys API, with the requests etcd's Go client (client/v2 KeysAPI)
// sends for each operation.

import type { CallOptions, ClusterClient } from './cluster.js';
import { ClientFailure, EmptyBodyError } from './errors.js';
import { type KeysResponse, decodeKeysResponse } from './response.js';
import type { HttpRequest } from './transport.js';
import { type Endpoint, canonicalPath, encodeValues, requestTarget } from './url.js';

const keysPrefix = '/v2/keys';
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

/** Indexes are uint64 on the wire; bigint keeps user input exact. */
export type WireIndex = bigint;

export interface GetOptions {
  readonly recursive?: boolean;
  readonly sort?: boolean;
  readonly quorum?: boolean;
  /** kvd's atIndex: the tree as it was just after this store index; 0 means now. */
  readonly atIndex?: WireIndex;
}

export interface SetOptions {
  /** Compare-and-swap on the current value; "" means no comparison (as in etcd's client). */
  readonly prevValue?: string;
  /** Compare-and-swap on modifiedIndex; 0 means no comparison. */
  readonly prevIndex?: WireIndex;
  /** 'true': must exist (update); 'false': must not exist (create). */
  readonly prevExist?: 'true' | 'false';
  /** Seconds; values <= 0 send no TTL. */
  readonly ttl?: WireIndex;
  readonly refresh?: boolean;
  readonly dir?: boolean;
  readonly noValueOnSuccess?: boolean;
}

export interface DeleteOptions {
  readonly prevValue?: string;
  readonly prevIndex?: WireIndex;
  readonly dir?: boolean;
  readonly recursive?: boolean;
}

export interface WatcherOptions {
  /** Deliver events after this index; 0: from now on. */
  readonly afterIndex?: WireIndex;
  readonly recursive?: boolean;
}

export interface Watcher {
  /** Waits for the next event; resolves with it. Rejects with the call's abort reason. */
  next(call?: Pick<CallOptions, 'signal'>): Promise<KeysResponse>;
}

function keyPath(ep: Endpoint, key: string): string {
  const k = key !== '' && key[0] !== '/' ? '/' + key : key;
  return canonicalPath(ep.path + keysPrefix + k);
}

function request(method: HttpRequest['method'], target: string, body: string | null): HttpRequest {
  return { method, target, headers: body === null ? {} : formHeaders, body };
}

export class KeysApi {
  constructor(private readonly client: ClusterClient) {}

  async get(key: string, opts: GetOptions = {}, call: CallOptions = {}): Promise<KeysResponse> {
    const query = encodeValues([
      ['recursive', String(opts.recursive ?? false)],
      ['sorted', String(opts.sort ?? false)],
      ['quorum', String(opts.quorum ?? false)],
      ...(opts.atIndex !== undefined && opts.atIndex > 0n
        ? [['atIndex', String(opts.atIndex)] as [string, string]]
        : []),
    ]);
    const res = await this.client.do((ep) => request('GET', requestTarget(keyPath(ep, key), query), null), call);
    return decodeKeysResponse(res);
  }

  async set(key: string, value: string, opts: SetOptions = {}, call: CallOptions = {}): Promise<KeysResponse> {
    const params: [string, string][] = [];
    const form: [string, string][] = [];
    if (opts.dir) params.push(['dir', 'true']);
    else {
      if (opts.prevValue) params.push(['prevValue', opts.prevValue]);
      form.push(['value', value]);
    }
    if (opts.prevIndex !== undefined && opts.prevIndex !== 0n) params.push(['prevIndex', String(opts.prevIndex)]);
    if (opts.prevExist !== undefined) params.push(['prevExist', opts.prevExist]);
    if (opts.ttl !== undefined && opts.ttl > 0n) form.push(['ttl', String(opts.ttl)]);
    if (opts.refresh) form.push(['refresh', 'true']);
    if (opts.noValueOnSuccess) params.push(['noValueOnSuccess', 'true']);
    const query = encodeValues(params);
    const body = encodeValues(form);
    const oneShot = opts.prevExist === 'false';
    const res = await this.client.do((ep) => request('PUT', requestTarget(keyPath(ep, key), query), body), {
      ...call,
      oneShot,
    });
    return decodeKeysResponse(res);
  }

  async delete(key: string, opts: DeleteOptions = {}, call: CallOptions = {}): Promise<KeysResponse> {
    const params: [string, string][] = [];
    if (opts.prevValue) params.push(['prevValue', opts.prevValue]);
    if (opts.prevIndex !== undefined && opts.prevIndex !== 0n) params.push(['prevIndex', String(opts.prevIndex)]);
    if (opts.dir) params.push(['dir', 'true']);
    if (opts.recursive) params.push(['recursive', 'true']);
    const query = encodeValues(params);
    const res = await this.client.do(
      (ep) => ({ method: 'DELETE', target: requestTarget(keyPath(ep, key), query), headers: formHeaders, body: null }),
      { ...call, oneShot: true },
    );
    return decodeKeysResponse(res);
  }

  /** POST: a new key named by the store's index under dir. */
  async createInOrder(
    dir: string,
    value: string,
    opts: { ttl?: WireIndex } = {},
    call: CallOptions = {},
  ): Promise<KeysResponse> {
    const form: [string, string][] = [['value', value]];
    if (opts.ttl !== undefined && opts.ttl > 0n) form.push(['ttl', String(opts.ttl)]);
    const body = encodeValues(form);
    const res = await this.client.do((ep) => request('POST', requestTarget(keyPath(ep, dir), ''), body), call);
    return decodeKeysResponse(res);
  }

  watcher(key: string, opts: WatcherOptions = {}): Watcher {
    const after = BigInt.asUintN(64, opts.afterIndex ?? 0n);
    let waitIndex = after > 0n ? BigInt.asUintN(64, after + 1n) : 0n;
    const recursive = String(opts.recursive ?? false);
    const client = this.client;
    return {
      async next(call = {}): Promise<KeysResponse> {
        for (;;) {
          const query = encodeValues([
            ['wait', 'true'],
            ['waitIndex', String(waitIndex)],
            ['recursive', recursive],
          ]);
          const res = await client.do((ep) => request('GET', requestTarget(keyPath(ep, key), query), null), {
            ...call,
            wait: true,
          });
          let resp: KeysResponse;
          try {
            resp = decodeKeysResponse(res);
          } catch (e) {
            // A watch the server closed without an event comes back empty: ask again.
            if (e instanceof EmptyBodyError) continue;
            throw e;
          }
          if (resp.node === null) throw new ClientFailure('protocol', 'client: watch response has no node');
          waitIndex = BigInt(resp.node.modifiedIndex) + 1n;
          return resp;
        }
      },
    };
  }
}
