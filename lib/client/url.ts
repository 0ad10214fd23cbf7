// URL building as Go's net/url does it, so requests (and --debug's curl lines)
// are the ones etcdctl sends.

import { posix } from 'node:path';

const hex = '0123456789ABCDEF';

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x5f ||
    c === 0x2e ||
    c === 0x7e
  );
}

// In a path Go leaves $ & + , / : ; = @ as they are and escapes '?'.
const pathKept = new Set([...'$&+,/:;=@'].map((c) => c.charCodeAt(0)));

function escapeBytes(s: string, keep: (c: number) => boolean, spaceAsPlus: boolean): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (keep(b)) out += String.fromCharCode(b);
    else if (spaceAsPlus && b === 0x20) out += '+';
    else out += '%' + hex[b >> 4] + hex[b & 15];
  }
  return out;
}

/** Go's url.PathEscape-as-used-by-URL.String for a whole path. */
export function escapePath(p: string): string {
  return escapeBytes(p, (c) => isUnreserved(c) || pathKept.has(c), false);
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return escapeBytes(s, isUnreserved, true);
}

/** Go's url.Values.Encode: keys sorted, each value query-escaped. */
export function encodeValues(values: ReadonlyArray<readonly [string, string]>): string {
  return [...values]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`)
    .join('&');
}

/** etcd's pathutil.CanonicalURLPath: rooted, cleaned, trailing slash kept. */
export function canonicalPath(p: string): string {
  if (p === '') return '/';
  if (p[0] !== '/') p = '/' + p;
  let np = posix.normalize(p);
  if (np.length > 1 && np.endsWith('/')) np = np.slice(0, -1);
  if (p.endsWith('/') && np !== '/') np += '/';
  return np;
}

/** Go's path.Join: cleaned, empty parts dropped. */
export function joinPath(...parts: string[]): string {
  const kept = parts.filter((p) => p !== '');
  if (kept.length === 0) return '';
  const joined = posix.normalize(kept.join('/'));
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}

/** One endpoint as given by the user: its text (for messages) and its parts. */
export interface Endpoint {
  /** As printed in error messages, e.g. "http://127.0.0.1:2379". */
  readonly text: string;
  readonly scheme: string;
  /** host[:port] as written. */
  readonly host: string;
  readonly hostname: string;
  readonly port: number;
  /** Path prefix of the endpoint, "" for none. */
  readonly path: string;
}

export class EndpointParseError extends Error {
  override readonly name = 'EndpointParseError';
}

/** Parses an endpoint the way etcdctl does; a scheme-less "host:port" is refused as Go's url.Parse refuses it. */
export function parseEndpoint(text: string): Endpoint {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(text);
  if (!m) {
    const firstSegment = text.split('/')[0] ?? '';
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text) || !firstSegment.includes(':')) {
      throw new EndpointParseError(`unsupported endpoint ${JSON.stringify(text)}: want scheme://host:port`);
    }
    throw new EndpointParseError(`parse ${JSON.stringify(text)}: first path segment in URL cannot contain colon`);
  }
  const scheme = m[1]!.toLowerCase();
  const host = m[2]!;
  const path = m[3]!;
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host);
  if (!hp) throw new EndpointParseError(`parse ${JSON.stringify(text)}: invalid host`);
  const hostname = hp[1]!.replace(/^\[(.*)\]$/, '$1');
  const port = hp[2] ? Number(hp[2]) : scheme === 'https' ? 443 : 80;
  return { text, scheme, host, hostname, port, path };
}

/** The request target for a path (already canonical) and an encoded query. */
export function requestTarget(path: string, query: string): string {
  return escapePath(path) + (query === '' ? '' : '?' + query);
}

export function originOf(ep: Endpoint): string {
  return `${ep.scheme}://${ep.host}`;
}
