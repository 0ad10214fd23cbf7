// The auth checks of the client API: who a request is (basic auth, client
// certificate, guest) and whether it may touch a key or needs root. Every
// refusal is counted (onRefused) and logged at a bounded rate with the
// client's address and the user name it gave, never the password.

import type { Logger } from 'pino';
import {
  Authenticator,
  parseCredentials,
  PasswordQueueFull,
  type AuthView,
  type Identity,
  type Passwords,
} from '../auth/index.js';
import { tooManyRequests } from '../errors/index.js';
import { RefusalLog } from '../tls/index.js';
import type { Exchange } from './exchange.js';

/** Why a request was refused, as the refusals metric labels it. */
export type AuthRefusal = 'bad-credentials' | 'no-credentials' | 'forbidden';

/** The answer to a check: go on (with who it is), or refused. */
export type GateResult = { readonly ok: true; readonly who: Identity } | { readonly ok: false };

/** Every request passes as this when auth is disabled. */
const ANYONE: Identity = { kind: 'guest' };

export class AuthGate {
  private readonly authenticator: Authenticator;
  private readonly refusals: RefusalLog;

  constructor(
    private readonly view: AuthView,
    passwords: Passwords,
    clientCertAuth: boolean,
    logger: Logger,
    private readonly onRefused: (reason: AuthRefusal) => void,
  ) {
    this.authenticator = new Authenticator(view, passwords, clientCertAuth);
    this.refusals = new RefusalLog(logger, 'refused a client request (auth)');
  }

  /** Whether the request may read (GET/HEAD) or write the key, or (recursive) all below it. Rejects with etcd's "too many requests" when bcrypt is overloaded. */
  async keyAccess(ex: Exchange, key: string, recursive: boolean): Promise<GateResult> {
    if (!this.view.enabled) return { ok: true, who: ANYONE };
    const who = await this.identify(ex, true);
    const write = ex.method !== 'GET' && ex.method !== 'HEAD';
    if (this.authenticator.mayAccessKey(who, key, recursive, write)) return { ok: true, who };
    this.refuse(ex, who, { key, write, recursive });
    return { ok: false };
  }

  /** Whether the request may use root's endpoints (auth, member changes). */
  async rootAccess(ex: Exchange): Promise<GateResult> {
    if (!this.view.enabled) return { ok: true, who: ANYONE };
    const who = await this.identify(ex, false);
    if (this.authenticator.isRoot(who)) return { ok: true, who };
    this.refuse(ex, who, { path: 'root' });
    return { ok: false };
  }

  /** For a watch: whether an event on this key may still go to the identity that opened it. */
  mayRead(who: Identity, key: string): boolean {
    return !this.view.enabled || this.authenticator.mayAccessKey(who, key, false, false);
  }

  close(): void {
    this.refusals.close();
  }

  private async identify(ex: Exchange, guestAllowed: boolean): Promise<Identity> {
    const credentials = parseCredentials(ex.header('authorization'), ex.clientCertName());
    try {
      return await this.authenticator.identify(credentials, guestAllowed);
    } catch (err) {
      if (err instanceof PasswordQueueFull) throw tooManyRequests();
      throw err;
    }
  }

  private refuse(ex: Exchange, who: Identity, what: Record<string, unknown>): void {
    const reason: AuthRefusal =
      who.kind === 'refused' ? (who.reason === 'no-credentials' ? 'no-credentials' : 'bad-credentials') : 'forbidden';
    this.onRefused(reason);
    const user = who.kind === 'user' ? who.user.name : who.kind === 'refused' ? who.user : null;
    this.refusals.refused({
      remote: ex.remoteAddress,
      user,
      reason: who.kind === 'refused' ? who.reason : reason,
      method: ex.method,
      ...what,
    });
  }
}
