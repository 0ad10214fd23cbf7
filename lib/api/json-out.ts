// JSON exactly as etcd's Go encoder writes it: struct field order, omitempty,
// and Go's string escaping (<, >, &, U+2028, U+2029 as \u escapes; \b and \f
// as \u0008 and \u000c), which JSON.stringify does differently.

import type { MemberInfo } from '../server/index.js';
import type { Event, NodeJSON } from '../store/index.js';
import type { V2Error } from '../errors/index.js';

const NEEDS_GO_FIX = /[<>&\u2028\u2029]|\\[bf]/;
// An escaped backslash is matched as a unit so that `\\b` is not read as `\b`.
const GO_FIX = /\\\\|\\[bf]|[<>&\u2028\u2029]/g;

function goFix(m: string): string {
  switch (m) {
    case '\\\\':
      return m;
    case '\\b':
      return '\\u0008';
    case '\\f':
      return '\\u000c';
    case '<':
      return '\\u003c';
    case '>':
      return '\\u003e';
    case '&':
      return '\\u0026';
    case '\u2028':
      return '\\u2028';
    default:
      return '\\u2029';
  }
}

/** Rewrites JSON.stringify output into what Go's encoding/json writes. */
export function goJson(json: string): string {
  return NEEDS_GO_FIX.test(json) ? json.replace(GO_FIX, goFix) : json;
}

/** Go's json.Marshal of any plain value (maps keep the given key order). */
export function marshal(value: unknown): string {
  return goJson(JSON.stringify(value) ?? 'null');
}

const str = JSON.stringify;

function nodeJson(n: NodeJSON): string {
  // The root's key is "" in etcd once its internal prefix is trimmed, so omitempty drops it.
  let out = n.key !== '' && n.key !== '/' ? '{"key":' + str(n.key) : '{';
  const more = (): string => (out.length > 1 ? ',' : '');
  if (n.value !== undefined) out += more() + '"value":' + str(n.value);
  if (n.dir === true) out += more() + '"dir":true';
  if (n.expiration !== undefined) out += more() + '"expiration":' + str(n.expiration);
  if (n.ttl !== undefined && n.ttl !== 0) out += more() + '"ttl":' + n.ttl;
  if (n.nodes !== undefined && n.nodes.length > 0) {
    out += more() + '"nodes":[';
    for (let i = 0; i < n.nodes.length; i++) out += (i > 0 ? ',' : '') + nodeJson(n.nodes[i]!);
    out += ']';
  }
  if (n.modifiedIndex !== 0) out += more() + '"modifiedIndex":' + n.modifiedIndex;
  if (n.createdIndex !== 0) out += more() + '"createdIndex":' + n.createdIndex;
  return out + '}';
}

/** Actions whose node and prevNode noValueOnSuccess drops. */
const VALUE_ACTIONS = new Set(['set', 'compareAndSwap', 'create', 'update']);

/** An event as etcd writes it with json.Encoder (trailing newline, no etcdIndex). */
export function eventJson(ev: Event, noValueOnSuccess = false): string {
  let out = '{"action":' + str(ev.action);
  if (!(noValueOnSuccess && VALUE_ACTIONS.has(ev.action))) {
    out += ',"node":' + nodeJson(ev.node);
    if (ev.prevNode !== undefined) out += ',"prevNode":' + nodeJson(ev.prevNode);
  }
  return goJson(out + '}') + '\n';
}

/** etcd's v2 error body (cause is omitempty), with its trailing newline. */
export function v2ErrorJson(err: V2Error): string {
  let out = '{"errorCode":' + err.errorCode + ',"message":' + str(err.message);
  if (err.cause !== '') out += ',"cause":' + str(err.cause);
  return goJson(out + ',"index":' + err.index + '}') + '\n';
}

/** etcd's httptypes.HTTPError body (no trailing newline). */
export function httpErrorJson(message: string): string {
  return goJson('{"message":' + str(message) + '}');
}

export function memberJson(m: MemberInfo): string {
  return goJson(
    '{"id":' +
      str(m.id) +
      ',"name":' +
      str(m.name) +
      ',"peerURLs":' +
      str(m.peerURLs) +
      ',"clientURLs":' +
      str(m.clientURLs) +
      '}',
  );
}

export function memberListJson(members: readonly MemberInfo[]): string {
  return '{"members":[' + members.map(memberJson).join(',') + ']}\n';
}
