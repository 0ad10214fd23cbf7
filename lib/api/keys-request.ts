// etcd's parseKeyRequest: a /v2/keys request (method, key, query, form body)
// becomes a read, a watch or a StoreRequest, or a V2Error with etcd's code
// and cause. Pure: no I/O, so it can be fuzzed.

import { MAX_TTL_SECONDS, type ReadOptions } from '../server/index.js';
import type { WatchOptions } from '../store/index.js';
import { ErrorCode, V2Error } from '../errors/index.js';
import type { StoreRequest } from '../proposal/index.js';
import { cleanPath, GoError, parseMediaType, parseQuery, type FormValues } from './go-url.js';

/** Go's net/http limit on a urlencoded body (maxFormSize). */
export const MAX_FORM_BYTES = 10 << 20;

export const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Methods the keys endpoint serves, in etcd's Allow order. */
export const KEY_METHODS = ['HEAD', 'GET', 'PUT', 'POST', 'DELETE'] as const;
export type KeyMethod = (typeof KEY_METHODS)[number];

export interface KeyHttpRequest {
  readonly method: KeyMethod;
  /** The decoded request path after `/v2/keys` (e.g. "", "/", "/a/b/"). */
  readonly keyPath: string;
  /** The raw query string (without `?`), a byte string. */
  readonly rawQuery: string;
  readonly contentType: string | undefined;
  /** The body when it was read: null when not read, 'too-large' past MAX_FORM_BYTES. */
  readonly body: Buffer | 'too-large' | null;
}

export type KeyOperation =
  | { readonly kind: 'read'; readonly path: string; readonly options: ReadOptions }
  | { readonly kind: 'watch'; readonly path: string; readonly options: WatchOptions }
  /** recursive: the query's flag, whatever the method (etcd's auth checks a write with it too). */
  | {
      readonly kind: 'write';
      readonly request: StoreRequest;
      readonly noValueOnSuccess: boolean;
      readonly recursive: boolean;
    };

/** Whether Go would read this request's body as a form (PUT/POST with a urlencoded type). */
export function wantsFormBody(method: string, contentType: string | undefined): boolean {
  if (method !== 'PUT' && method !== 'POST') return false;
  if (contentType === FORM_TYPE) return true;
  return contentType !== undefined && parseMediaType(contentType).type === FORM_TYPE;
}

function invalidForm(cause: string): V2Error {
  return new V2Error(ErrorCode.InvalidForm, cause, 0);
}

/** Go's Request.ParseForm: body values first, then query values. */
export function parseForm(req: KeyHttpRequest): FormValues | V2Error {
  const form: FormValues = new Map();
  let err: GoError | null = null;
  if (req.method === 'PUT' || req.method === 'POST') {
    const media = parseMediaType(
      req.contentType === undefined || req.contentType === '' ? 'application/octet-stream' : req.contentType,
    );
    err = media.error;
    if (media.type === FORM_TYPE) {
      if (req.body === 'too-large') return invalidForm('http: POST too large');
      if (req.body !== null) {
        const bodyErr = parseQuery(req.body.toString('latin1'), form);
        err ??= bodyErr;
      }
    }
  }
  const queryErr = parseQuery(req.rawQuery, form);
  err ??= queryErr;
  return err ? invalidForm(err.message) : form;
}

const UINT = /^[0-9]+$/;
const UINT64_MAX = 18446744073709551615n;

/** Go's strconv.ParseUint(s, 10, 64), exact; null when Go would fail. */
export function parseUint64(s: string): bigint | null {
  if (!UINT.test(s)) return null;
  const n = BigInt(s);
  return n > UINT64_MAX ? null : n;
}

/** Go's strconv.ParseBool; null when Go would fail. */
export function parseGoBool(s: string): boolean | null {
  switch (s) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
  }
  return null;
}

function first(form: FormValues, name: string): string | undefined {
  return form.get(name)?.[0];
}

/** etcd's getBool: absent is false, only the first value counts. */
function boolField(form: FormValues, name: string, cause = `invalid value for "${name}"`): boolean | V2Error {
  const v = first(form, name);
  if (v === undefined) return false;
  return parseGoBool(v) ?? new V2Error(ErrorCode.InvalidField, cause, 0);
}

/** etcd's getUint64: absent is 0, only the first value counts. */
function indexField(form: FormValues, name: string): bigint | V2Error {
  const v = first(form, name);
  if (v === undefined) return 0n;
  return parseUint64(v) ?? new V2Error(ErrorCode.IndexNaN, `invalid value for "${name}"`, 0);
}

/** The store path of a keys URL path: etcd's path.Join("/", rest). */
export function storePath(keyPath: string): string {
  const p = cleanPath(keyPath);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** A GET or HEAD without a query: every field at its default. */
const PLAIN_READ: ReadOptions = { recursive: false, sorted: false, quorum: false };

/** etcd's parseKeyRequest plus the method dispatch of its v2 server. */
export function parseKeyRequest(req: KeyHttpRequest): KeyOperation | V2Error {
  // The most common request of all skips the form: with no values, it reads the key as it is.
  if (req.rawQuery === '' && (req.method === 'GET' || req.method === 'HEAD')) {
    return { kind: 'read', path: storePath(req.keyPath), options: PLAIN_READ };
  }
  const form = parseForm(req);
  if (form instanceof V2Error) return form;
  const path = storePath(req.keyPath);

  const prevIndex = indexField(form, 'prevIndex');
  if (prevIndex instanceof V2Error) return prevIndex;
  const waitIndex = indexField(form, 'waitIndex');
  if (waitIndex instanceof V2Error) return waitIndex;
  const recursive = boolField(form, 'recursive');
  if (recursive instanceof V2Error) return recursive;
  const sorted = boolField(form, 'sorted');
  if (sorted instanceof V2Error) return sorted;
  const wait = boolField(form, 'wait');
  if (wait instanceof V2Error) return wait;
  const dir = boolField(form, 'dir');
  if (dir instanceof V2Error) return dir;
  const quorum = boolField(form, 'quorum');
  if (quorum instanceof V2Error) return quorum;
  const stream = boolField(form, 'stream');
  if (stream instanceof V2Error) return stream;
  if (wait && req.method !== 'GET') {
    return new V2Error(ErrorCode.InvalidField, '"wait" can only be used with GET requests', 0);
  }
  const prevValue = first(form, 'prevValue');
  if (prevValue === '') return new V2Error(ErrorCode.PrevValueRequired, '"prevValue" cannot be empty', 0);
  const noValueOnSuccess = boolField(form, 'noValueOnSuccess');
  if (noValueOnSuccess instanceof V2Error) return noValueOnSuccess;

  let ttl: number | null = null;
  const ttlText = first(form, 'ttl');
  if (ttlText !== undefined && ttlText !== '') {
    const seconds = parseUint64(ttlText);
    if (seconds === null) return new V2Error(ErrorCode.TTLNaN, 'invalid value for "ttl"', 0);
    // etcd's deadline arithmetic overflows past about 292 years; kvd's ends at
    // the last time it represents, which any longer TTL reaches as well.
    ttl = seconds > BigInt(MAX_TTL_SECONDS) ? MAX_TTL_SECONDS : Number(seconds);
  }
  let prevExist: boolean | undefined;
  if (form.has('prevExist')) {
    const v = boolField(form, 'prevExist', 'invalid value for prevExist');
    if (v instanceof V2Error) return v;
    prevExist = v;
  }
  let refresh = false;
  if (form.has('refresh')) {
    const v = boolField(form, 'refresh', 'invalid value for refresh');
    if (v instanceof V2Error) return v;
    refresh = v;
    if (refresh) {
      const value = first(form, 'value');
      if (value !== undefined && value !== '') {
        return new V2Error(ErrorCode.RefreshValue, 'A value was provided on a refresh', 0);
      }
      if (ttl === null) return new V2Error(ErrorCode.RefreshTTLRequired, 'No TTL value set', 0);
    }
  }
  const value = first(form, 'value') ?? '';
  // kvd's own: a read of the tree as it was at a past store index (checked after etcd's fields).
  const atIndex = req.method === 'GET' || req.method === 'HEAD' ? indexField(form, 'atIndex') : 0n;
  if (atIndex instanceof V2Error) return atIndex;
  const at = atIndex > 0n ? { atIndex: Number(atIndex) } : {};

  // An absent condition is not checked (lib/proposal leaves it out of the log); prevIndex=0 is absent.
  const given = prevIndex > 0n ? prevIndex : undefined;
  switch (req.method) {
    case 'GET':
      // etcd turns a quorum GET into a linearizable read even when it asks to wait.
      if (wait && !quorum) {
        return {
          kind: 'watch',
          path,
          options: { recursive, stream, sinceIndex: waitIndex > 0n ? Number(waitIndex) : null },
        };
      }
      return { kind: 'read', path, options: { recursive, sorted, quorum, ...at } };
    case 'HEAD':
      return { kind: 'read', path, options: { recursive, sorted, quorum: false, ...at } };
    case 'PUT': {
      const request: StoreRequest = {
        op: 'put',
        path,
        value,
        dir,
        ttl,
        refresh,
        prevValue,
        prevIndex: given,
        prevExist,
      };
      return { kind: 'write', request, noValueOnSuccess, recursive };
    }
    case 'POST':
      return { kind: 'write', request: { op: 'post', path, value, dir, ttl }, noValueOnSuccess, recursive };
    case 'DELETE': {
      const request: StoreRequest = { op: 'delete', path, dir, recursive, prevValue, prevIndex: given };
      return { kind: 'write', request, noValueOnSuccess, recursive };
    }
  }
}
