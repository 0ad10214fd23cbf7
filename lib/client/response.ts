// etcd v2 key responses as etcd's Go client decodes them, and their JSON as
// etcdctl -o json prints it (Go's encoding/json: field order of client.Node,
// "nodes":null, HTML-safe escaping).

import { EmptyBodyError, EtcdError, invalidJson } from './errors.js';
import type { HttpResponse } from './transport.js';

export interface KeyNode {
  readonly key: string;
  readonly dir: boolean;
  /** "" for directories and deleted keys, as Go's zero value. */
  readonly value: string;
  readonly nodes: readonly KeyNode[] | null;
  readonly createdIndex: number;
  readonly modifiedIndex: number;
  /** RFC 3339, as Go re-prints it (trailing zeros of the fraction dropped). */
  readonly expiration: string | null;
  /** Seconds left; 0 for none. */
  readonly ttl: number;
}

export interface KeysResponse {
  readonly action: string;
  readonly node: KeyNode | null;
  readonly prevNode: KeyNode | null;
  /** X-Etcd-Index of the response; 0 when absent. */
  readonly index: number;
  readonly clusterId: string;
}

class Malformed extends Error {}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new Malformed();
  return v;
}

function num(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Malformed();
  return v;
}

/** Go's time.Time JSON form: RFC 3339 with the shortest fraction, "Z" for a zero offset. */
export function goTime(s: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) throw new Malformed();
  const frac = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = m[3] === 'z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3]!;
  return m[1] + (frac === '' ? '' : '.' + frac) + zone;
}

function node(v: unknown): KeyNode | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new Malformed();
  const o = v as Record<string, unknown>;
  if (o['dir'] !== undefined && o['dir'] !== null && typeof o['dir'] !== 'boolean') throw new Malformed();
  const rawNodes = o['nodes'];
  if (rawNodes !== undefined && rawNodes !== null && !Array.isArray(rawNodes)) throw new Malformed();
  return {
    key: str(o['key']),
    dir: o['dir'] === true,
    value: str(o['value']),
    nodes: Array.isArray(rawNodes) ? rawNodes.map((n) => node(n) ?? emptyNode) : null,
    createdIndex: num(o['createdIndex']),
    modifiedIndex: num(o['modifiedIndex']),
    expiration: o['expiration'] === undefined || o['expiration'] === null ? null : goTime(str(o['expiration'])),
    ttl: num(o['ttl']),
  };
}

const emptyNode: KeyNode = {
  key: '',
  dir: false,
  value: '',
  nodes: null,
  createdIndex: 0,
  modifiedIndex: 0,
  expiration: null,
  ttl: 0,
};

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw invalidJson();
  }
}

/** etcd's unmarshalHTTPResponse: 200/201 carry a response, anything else an etcd error body. */
export function decodeKeysResponse(res: HttpResponse): KeysResponse {
  if (res.status === 200 || res.status === 201) {
    if (res.body.length === 0) throw new EmptyBodyError();
    const raw = parseJson(res.body);
    try {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Malformed();
      const o = raw as Record<string, unknown>;
      const indexHeader = res.headers['x-etcd-index'];
      if (indexHeader !== undefined && !/^\d+$/.test(indexHeader)) throw new Malformed();
      return {
        action: str(o['action']),
        node: node(o['node']),
        prevNode: node(o['prevNode']),
        index: indexHeader === undefined ? 0 : Number(indexHeader),
        clusterId: res.headers['x-etcd-cluster-id'] ?? '',
      };
    } catch (e) {
      if (e instanceof Malformed) throw invalidJson();
      throw e;
    }
  }
  throw decodeEtcdError(res.body);
}

export function decodeEtcdError(body: Buffer): Error {
  const raw = parseJson(body);
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Malformed();
    const o = raw as Record<string, unknown>;
    return new EtcdError(num(o['errorCode']), str(o['message']), str(o['cause']), num(o['index']));
  } catch (e) {
    if (e instanceof Malformed) return invalidJson();
    throw e;
  }
}

/** A JSON string as Go's encoding/json writes it (HTML-safe, \u2028/\u2029 escaped, lone surrogates as U+FFFD). */
export function goJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      out += '\\u' + c.toString(16).padStart(4, '0');
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else out += '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\ufffd';
    else out += s[i]!;
  }
  return out + '"';
}

function nodeJson(n: KeyNode | null): string {
  if (n === null) return 'null';
  let out = `{"key":${goJsonString(n.key)}`;
  if (n.dir) out += ',"dir":true';
  out += `,"value":${goJsonString(n.value)}`;
  out += `,"nodes":${n.nodes === null ? 'null' : '[' + n.nodes.map(nodeJson).join(',') + ']'}`;
  out += `,"createdIndex":${n.createdIndex},"modifiedIndex":${n.modifiedIndex}`;
  if (n.expiration !== null) out += `,"expiration":${goJsonString(n.expiration)}`;
  if (n.ttl !== 0) out += `,"ttl":${n.ttl}`;
  return out + '}';
}

/** etcdctl -o json: json.Marshal of client.Response. */
export function responseJson(r: KeysResponse): string {
  return `{"action":${goJsonString(r.action)},"node":${nodeJson(r.node)},"prevNode":${nodeJson(r.prevNode)}}`;
}
