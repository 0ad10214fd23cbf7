// Node's HTTP/1.1 parser knows a fixed list of methods and refuses any other
// (a lower-case `get`, `FOO`) before a handler sees the request, where Go
// hands every token to the handler and etcd answers 405 with Allow. This
// recovers such a request's head from the bytes the parser refused, so that
// the router can answer it as etcd does.

export interface RecoveredHead {
  readonly method: string;
  readonly target: string;
  /** 0 or 1, for HTTP/1.0 and HTTP/1.1. */
  readonly versionMinor: number;
  /** Lower-case names; the first of repeated headers. */
  readonly headers: Record<string, string>;
}

import { METHODS } from 'node:http';

// RFC 7230 token characters, as Go's validMethod and header-name checks use them.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^(\S+) ([^\s\x00-\x1f\x7f]+) HTTP\/1\.([01])$/;
// A field value: visible characters, spaces and tabs (obs-text allowed, no controls).
const FIELD_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);
const LONGEST_METHOD = Math.max(...METHODS.map((m) => m.length));

/**
 * Where the refused method begins. The parser stops at the first byte that
 * no method it knows continues with, so the method begins where the longest
 * prefix of a known method ending at `offset` does. A request pipelined
 * right after a body has no line break before it, and the body's last bytes
 * could look like more of that prefix; the method found then may be too
 * long, but it is never one Node knows (see recoverHead), and every unknown
 * method is answered alike.
 */
function methodStart(text: string, offset: number): number {
  for (let length = Math.min(LONGEST_METHOD, offset); length > 0; length--) {
    const prefix = text.slice(offset - length, offset);
    if (!prefix.includes('\n') && METHODS.some((m) => m.startsWith(prefix))) return offset - length;
  }
  return offset;
}

/**
 * The head of the request whose method the parser refused at `offset` of
 * `bytes` (the chunk it was parsing), or null when the head is not all in
 * `bytes` or is not one Go would parse: then the request gets the plain 400.
 */
export function recoverHead(bytes: Buffer, offset: number): RecoveredHead | null {
  const text = bytes.toString('latin1');
  if (offset < 0 || offset > text.length) return null;
  const start = methodStart(text, offset);
  const end = text.indexOf('\r\n\r\n', start);
  if (end < 0) return null;
  const [requestLine, ...fields] = text.slice(start, end).split('\r\n');
  const line = REQUEST_LINE.exec(requestLine!);
  if (line === null || !TOKEN.test(line[1]!) || KNOWN_METHODS.has(line[1]!)) return null;
  const headers = Object.create(null) as Record<string, string>;
  for (const field of fields) {
    const colon = field.indexOf(':');
    if (colon <= 0) return null;
    const name = field.slice(0, colon);
    const value = field.slice(colon + 1).trim();
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) return null;
    const lower = name.toLowerCase();
    if (!Object.hasOwn(headers, lower)) headers[lower] = value;
  }
  return { method: line[1]!, target: line[2]!, versionMinor: Number(line[3]), headers };
}
