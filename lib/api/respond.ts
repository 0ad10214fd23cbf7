// Responses in the shape Go's net/http and etcd write them: the CORS headers
// etcd adds to everything, Go's sorted header order followed by Date and
// Content-Length, and the canned texts of http.Error, http.NotFound and
// http.Redirect.

import type { Exchange } from './exchange.js';
import { htmlEscape } from './go-url.js';

/** etcd's CORS handler with its default allowed origin "*". */
export const CORS_HEADERS: readonly string[] = [
  'Access-Control-Allow-Headers',
  'accept, content-type, authorization',
  'Access-Control-Allow-Methods',
  'POST, GET, OPTIONS, PUT, DELETE',
  'Access-Control-Allow-Origin',
  '*',
];

export const JSON_TYPE = 'application/json';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

let dateSecond = -1;
let dateText = '';

/** The Date header value (RFC 1123, GMT), computed at most once a second. */
export function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/**
 * Sends a response: CORS headers, then `headers` (already in Go's sorted
 * order), Date and Content-Length. `sniffedType` goes last, where Go puts a
 * Content-Type it detected from the body. A null body sends no length.
 */
export function reply(
  ex: Exchange,
  status: number,
  headers: readonly string[],
  body: string | null,
  sniffedType?: string,
): void {
  // One array, grown in place: this is every GET's and PUT's answer.
  const all = CORS_HEADERS.concat(headers);
  all.push('Date', httpDate());
  if (body !== null) all.push('Content-Length', String(Buffer.byteLength(body)));
  if (sniffedType !== undefined) all.push('Content-Type', sniffedType);
  ex.send(status, all, body);
}

/** Go's http.Error: text/plain, nosniff, message plus newline. `before` holds headers sorting before Content-Type. */
export function replyGoError(
  ex: Exchange,
  status: number,
  message: string,
  before: readonly string[] = [],
  after: readonly string[] = [],
): void {
  reply(
    ex,
    status,
    [...before, 'Content-Type', TEXT_TYPE, 'X-Content-Type-Options', 'nosniff', ...after],
    message + '\n',
  );
}

/** Go's http.NotFound. */
export function replyNotFound(ex: Exchange): void {
  replyGoError(ex, 404, '404 page not found');
}

/** etcd's allowMethod: 405 with an Allow header listing the methods. */
export function replyMethodNotAllowed(ex: Exchange, allowed: readonly string[], after: readonly string[] = []): void {
  replyGoError(ex, 405, 'Method Not Allowed', ['Allow', allowed.join(',')], after);
}

/** Go's http.Redirect with 301, as ServeMux sends it for an unclean path. */
export function replyRedirect(ex: Exchange, location: string): void {
  if (ex.method === 'GET') {
    reply(
      ex,
      301,
      ['Content-Type', 'text/html; charset=utf-8', 'Location', location],
      `<a href="${htmlEscape(location)}">Moved Permanently</a>.\n\n`,
    );
  } else if (ex.method === 'HEAD') {
    reply(ex, 301, ['Content-Type', 'text/html; charset=utf-8', 'Location', location], null);
  } else {
    reply(ex, 301, ['Location', location], '');
  }
}

/**
 * Go's answer to a request it cannot parse (bad escape in the path, missing
 * Host): no CORS headers, no Date or length, and the connection closes.
 */
export function replyBadRequest(ex: Exchange, reason = ''): void {
  const phrase = reason === '' ? 'Bad Request' : `Bad Request: ${reason}`;
  ex.sendAndClose(400, phrase, ['Content-Type', TEXT_TYPE, 'Connection', 'close'], `400 ${phrase}`);
}
