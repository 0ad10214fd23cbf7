// The body of POST /v2/members and PUT /v2/members/<id>, decoded as etcd does:
// Go's json.Unmarshal into struct { PeerURLs []string `json:"peerURLs"` },
// then types.NewURLs (trimmed, validated, normalised, sorted). Failures carry
// the exact Go error text etcd puts into its 400 answer.

import { goJsonSyntaxError } from './go-json-check.js';
import { GoError, goQuote, textToBytes, unescape } from './go-url.js';

const STRUCT_TYPE = 'struct { PeerURLs []string "json:\\"peerURLs\\"" }';

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

/** Decodes a member request body into its normalised, sorted peer URLs. */
export function decodePeerURLs(body: Buffer): string[] | GoError {
  const syntax = goJsonSyntaxError(body);
  if (syntax !== null) return new GoError(syntax);
  const doc: unknown = JSON.parse(body.toString('utf8'));
  if (doc === null) return newURLs([]);
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    return new GoError(`json: cannot unmarshal ${jsonKind(doc)} into Go value of type ${STRUCT_TYPE}`);
  }
  // Go matches struct fields case-insensitively; a later duplicate overwrites an earlier one.
  let urls: string[] = [];
  let firstError: GoError | null = null;
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (key.toLowerCase() !== 'peerurls') continue;
    if (value === null) {
      urls = [];
      continue;
    }
    if (!Array.isArray(value)) {
      firstError ??= new GoError(
        `json: cannot unmarshal ${jsonKind(value)} into Go struct field .peerURLs of type []string`,
      );
      continue;
    }
    urls = value.map((el: unknown) => {
      if (typeof el === 'string') return el;
      // Go leaves a null element as ""; anything else is an error (and "" too).
      if (el !== null)
        firstError ??= new GoError(
          `json: cannot unmarshal ${jsonKind(el)} into Go struct field .peerURLs of type string`,
        );
      return '';
    });
  }
  return firstError ?? newURLs(urls);
}

/** etcd's types.NewURLs. */
export function newURLs(inputs: readonly string[]): string[] | GoError {
  if (inputs.length === 0) return new GoError('no valid URLs given');
  const out: string[] = [];
  for (const raw of inputs) {
    const url = parseUrl(raw.trim());
    if (url instanceof GoError) return url;
    out.push(url);
  }
  return out.sort();
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** Go's url.Parse plus NewURLs' checks; returns the URL as Go prints it. */
function parseUrl(input: string): string | GoError {
  const hash = input.indexOf('#');
  const beforeFragment = hash < 0 ? input : input.slice(0, hash);
  const parseError = (msg: string): GoError => new GoError(`parse ${goQuote(textToBytes(beforeFragment))}: ${msg}`);
  if (CONTROL.test(beforeFragment)) return parseError('net/url: invalid control character in URL');
  if (beforeFragment.startsWith(':')) return parseError('missing protocol scheme');
  const scheme = SCHEME.exec(beforeFragment)?.[0].slice(0, -1) ?? '';
  let rest = beforeFragment.slice(scheme === '' ? 0 : scheme.length + 1);
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  const lower = scheme.toLowerCase();
  let host = '';
  let path = rest;
  if (!rest.startsWith('/')) {
    if (lower === '' && (rest.split('/')[0] ?? '').includes(':')) {
      return parseError('first path segment in URL cannot contain colon');
    }
  } else if (rest.startsWith('//')) {
    const authority = rest.slice(2);
    const slash = authority.indexOf('/');
    const hostPart = slash < 0 ? authority : authority.slice(0, slash);
    path = slash < 0 ? '' : authority.slice(slash);
    const at = hostPart.lastIndexOf('@');
    host = at < 0 ? hostPart : hostPart.slice(at + 1);
    const hostError = checkHost(host);
    if (hostError !== null) return parseError(hostError);
  }
  const decodedPath = unescape(textToBytes(path), false);
  if (decodedPath instanceof GoError) return parseError(decodedPath.message);
  if (lower !== 'http' && lower !== 'https' && lower !== 'unix' && lower !== 'unixs') {
    return new GoError(`URL scheme must be http, https, unix, or unixs: ${input}`);
  }
  if (!rest.startsWith('/') || !isHostPort(host)) {
    return new GoError(`URL address does not have the form "host:port": ${input}`);
  }
  if (decodedPath !== '') return new GoError(`URL must not contain a path: ${input}`);
  return lower + input.slice(scheme.length);
}

const PORT = /^(:[0-9]*)?$/;

/** Go's parseHost checks; null when fine. */
function checkHost(host: string): string | null {
  let colonPort: string;
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) return "missing ']' in host";
    colonPort = host.slice(close + 1);
  } else {
    const colon = host.lastIndexOf(':');
    colonPort = colon < 0 ? '' : host.slice(colon);
  }
  if (!PORT.test(colonPort)) return `invalid port ${goQuote(textToBytes(colonPort))} after host`;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c < 0x80 && !HOST_OK.test(host[i]!)) return `invalid character ${goQuote(host[i]!)} in host name`;
    if (c === 37) {
      const seq = host.slice(i, i + 3);
      const e = unescape(seq, false);
      if (e instanceof GoError) return e.message;
      // In a host, %-escapes may only encode non-ASCII bytes (or %25).
      if (e.charCodeAt(0) < 0x80 && seq !== '%25') return 'invalid URL escape ' + goQuote(seq);
    }
  }
  return null;
}

const HOST_OK = /[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%]/;

/** Go's net.SplitHostPort succeeds. */
function isHostPort(hostport: string): boolean {
  const last = hostport.lastIndexOf(':');
  if (last < 0) return false;
  let j = 0;
  let k = 0;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 !== last) return false;
    j = 1;
    k = end + 1;
  } else if (hostport.slice(0, last).includes(':')) {
    return false;
  }
  return !hostport.slice(j).includes('[') && !hostport.slice(k).includes(']');
}
