// Who a request is and what it may do, as etcd 3.4's v2 API decides it:
// HTTP basic auth when an Authorization header is sent; without one, the
// client certificate's common name when client-cert-auth is on and names a
// user; otherwise the guest role (key requests) or nobody (root requests).

import { GUEST, ROOT, type User } from './model.js';
import type { Passwords } from './passwords.js';
import { roleHasKeyAccess, roleHasRecursiveAccess } from './permissions.js';
import type { AuthView } from './state.js';

/** What a request presents. */
export type Credentials =
  | { readonly kind: 'none'; readonly certName: string | null }
  | { readonly kind: 'basic'; readonly user: string; readonly password: string }
  /** An Authorization header that is not valid basic auth. */
  | { readonly kind: 'malformed' };

export type Identity =
  | { readonly kind: 'guest' }
  | { readonly kind: 'user'; readonly user: User; readonly by: 'password' | 'certificate' }
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly user: string | null };

export type RefusalReason = 'malformed-credentials' | 'unknown-user' | 'wrong-password' | 'no-credentials';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Go's Request.BasicAuth on the Authorization header (absent or empty: no credentials). */
export function parseCredentials(authorization: string | undefined, certName: string | null): Credentials {
  if (authorization === undefined || authorization === '') return { kind: 'none', certName };
  const prefix = 'basic ';
  if (authorization.length < prefix.length || authorization.slice(0, prefix.length).toLowerCase() !== prefix)
    return { kind: 'malformed' };
  // Go's StdEncoding: padding required, line breaks ignored.
  const encoded = authorization.slice(prefix.length).replace(/[\r\n]/g, '');
  if (!BASE64.test(encoded)) return { kind: 'malformed' };
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { kind: 'malformed' };
  return { kind: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export class Authenticator {
  constructor(
    private readonly view: AuthView,
    private readonly passwords: Passwords,
    private readonly clientCertAuth: boolean,
  ) {}

  get enabled(): boolean {
    return this.view.enabled;
  }

  /**
   * The identity behind the credentials. `guestAllowed`: a request without
   * credentials (or whose certificate names no user) is the guest; else it
   * is refused. Rejects with PasswordQueueFull when bcrypt is overloaded.
   */
  async identify(c: Credentials, guestAllowed: boolean): Promise<Identity> {
    if (c.kind === 'malformed') return { kind: 'refused', reason: 'malformed-credentials', user: null };
    if (c.kind === 'none') {
      if (this.clientCertAuth && c.certName !== null) {
        const user = this.view.user(c.certName);
        if (user) return { kind: 'user', user, by: 'certificate' };
      }
      return guestAllowed ? { kind: 'guest' } : { kind: 'refused', reason: 'no-credentials', user: c.certName };
    }
    const user = this.view.user(c.user);
    if (!user) return { kind: 'refused', reason: 'unknown-user', user: c.user };
    if (!(await this.passwords.verify(user.name, c.password, user.passwordHash)))
      return { kind: 'refused', reason: 'wrong-password', user: c.user };
    // The user may have changed while bcrypt ran: decide with what is there now.
    const now = this.view.user(c.user);
    return now && now.passwordHash === user.passwordHash
      ? { kind: 'user', user: now, by: 'password' }
      : { kind: 'refused', reason: 'wrong-password', user: c.user };
  }

  /** Whether the identity may read (or write) the key, or (recursive) everything below it. */
  mayAccessKey(who: Identity, key: string, recursive: boolean, write: boolean): boolean {
    if (who.kind === 'refused') return false;
    if (who.kind === 'guest') {
      // etcd checks the guest role key by key, even for a recursive request.
      const guest = this.view.role(GUEST);
      return guest !== undefined && roleHasKeyAccess(guest, key, write);
    }
    // Decided with the user as it is now: a watch outlives changes to its user.
    const user = this.view.user(who.user.name);
    if (user === undefined) return false;
    for (const name of user.roles ?? []) {
      const role = this.view.role(name);
      if (role === undefined) continue;
      if (recursive ? roleHasRecursiveAccess(role, key, write) : roleHasKeyAccess(role, key, write)) return true;
    }
    return false;
  }

  isRoot(who: Identity): boolean {
    return who.kind === 'user' && (who.user.roles ?? []).includes(ROOT);
  }
}
