// Every request enters here, and goes where etcd's handler chain would send
// it: Go's URL decoding (a bad escape is a 400), etcd's CORS handler (OPTIONS
// is answered with 200), Go's ServeMux (unclean paths get a 301 to the clean
// one, unknown paths a 404), then the endpoint.

import type { Logger } from 'pino';
import type { AuthHandler } from './auth-handler.js';
import type { Exchange } from './exchange.js';
import { bytesToText, cleanPath, escapePath, GoError, hexEscapeNonAscii, textToBytes, unescape } from './go-url.js';
import { DASHBOARD_PATH, type DashboardHandler } from './dashboard-handler.js';
import type { InfoHandlers } from './info-handlers.js';
import type { KeysHandler } from './keys-handler.js';
import type { MembersHandler } from './members-handler.js';
import { reply, replyBadRequest, replyNotFound, replyRedirect } from './respond.js';

export interface RequestTarget {
  /** The decoded path as a byte string. */
  readonly path: string;
  /** The raw query (after the first `?`), a byte string. */
  readonly rawQuery: string;
}

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/;
// Node hands request targets over as latin1, one char per byte; a wider char
// can only come from a caller that built the string itself, as UTF-8 text.
const WIDE_CHAR = /[\u0100-\uffff]/;

/** Go's url.ParseRequestURI for a request target: the decoded path and raw query, or Go's error. */
export function parseTarget(target: string): RequestTarget | GoError {
  let t = WIDE_CHAR.test(target) ? textToBytes(target) : target;
  if (t.charCodeAt(0) !== 47) {
    const m = ABSOLUTE_FORM.exec(t);
    if (m === null) return new GoError('invalid URI for request');
    t = t.slice(m[0].length);
  }
  const q = t.indexOf('?');
  const path = unescape(q < 0 ? t : t.slice(0, q), false);
  if (path instanceof GoError) return path;
  return { path, rawQuery: q < 0 ? '' : t.slice(q + 1) };
}

export class Router {
  constructor(
    private readonly keys: KeysHandler,
    private readonly members: MembersHandler,
    private readonly info: InfoHandlers,
    private readonly logger: Logger,
    private readonly dashboard: DashboardHandler | null = null,
    private readonly auth: AuthHandler | null = null,
  ) {}

  handle(ex: Exchange): void {
    this.route(ex).catch((err: unknown) => {
      this.logger.error({ err, method: ex.method, target: ex.target }, 'request handler failed');
      if (!ex.done) reply(ex, 500, ['Content-Type', 'text/plain; charset=utf-8'], 'Internal Server Error\n');
    });
  }

  private async route(ex: Exchange): Promise<void> {
    if (ex.target === '*') {
      if (ex.method === 'OPTIONS') reply(ex, 200, [], '');
      else {
        ex.closeConnection();
        reply(ex, 400, ['Connection', 'close'], '');
      }
      return;
    }
    // Go's ServeMux finds no handler for an authority-form CONNECT (host:port, no path).
    if (ex.method === 'CONNECT' && !ex.target.startsWith('/')) {
      replyNotFound(ex);
      return;
    }
    const target = parseTarget(ex.target);
    if (target instanceof GoError) {
      this.logger.debug({ target: ex.target, reason: target.message }, 'bad request target');
      replyBadRequest(ex);
      return;
    }
    if (ex.method === 'OPTIONS') {
      reply(ex, 200, [], '');
      return;
    }
    const path = target.path;
    const clean = cleanPath(path);
    if (clean !== path) {
      const query = target.rawQuery === '' ? '' : '?' + target.rawQuery;
      replyRedirect(ex, hexEscapeNonAscii(escapePath(clean) + query));
      return;
    }
    if (path.startsWith('/v2/keys') && (path.length === 8 || path.charCodeAt(8) === 47)) {
      return this.keys.handle(ex, bytesToText(path.slice(8)), target.rawQuery);
    }
    if (path.startsWith('/v2/members') && (path.length === 11 || path.charCodeAt(11) === 47)) {
      return this.members.handle(ex, bytesToText(path.slice(11)));
    }
    if (this.auth !== null && path.startsWith('/v2/auth/')) {
      return this.auth.handle(ex, bytesToText(path.slice(8)));
    }
    if (
      this.dashboard !== null &&
      path.startsWith(DASHBOARD_PATH) &&
      (path.length === 10 || path.charCodeAt(10) === 47)
    ) {
      return this.dashboard.handle(ex, path, target.rawQuery);
    }
    switch (path) {
      case '/v2/machines':
        return this.info.machines(ex);
      case '/v2/stats/self':
        return this.info.selfStats(ex);
      case '/v2/stats/store':
        return this.info.storeStats(ex);
      case '/v2/stats/leader':
        return this.info.leaderStats(ex);
      case '/v2/stats/hash':
        return this.info.storeHash(ex, target.rawQuery);
      case '/version':
        return this.info.version(ex);
      case '/health':
        return this.info.health(ex);
      case '/metrics':
        if (await this.info.serveMetrics(ex)) return;
        break;
    }
    replyNotFound(ex);
  }
}
