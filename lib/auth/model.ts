// The data of etcd's v2 auth: users with bcrypt password hashes and role
// names, roles with key patterns they may read and write, and the changes the
// log carries. Lists keep Go's difference between absent (null) and empty,
// because etcd's JSON shows it ("read":null against "read":[]). Roles and the
// changes are lib/proposal's operations table, as the log carries them.

import type { Role } from '../proposal/index.js';

export { isAuthOperation, type AuthOperation, type KvPermissions, type Role } from '../proposal/index.js';

/** The role every request of a root user passes as, built in and never stored. */
export const ROOT = 'root';
/** The role of requests without credentials once auth is enabled. */
export const GUEST = 'guest';

export interface User {
  readonly name: string;
  /** bcrypt; never leaves the member except inside the log and snapshots. */
  readonly passwordHash: string;
  readonly roles: readonly string[] | null;
}

/** The root role: every key, read and write. */
export const ROOT_ROLE: Role = { name: ROOT, kv: { read: ['/*'], write: ['/*'] }, grant: null, revoke: null };

/** The guest role that enabling auth creates when there is none: as open as auth disabled. */
export const DEFAULT_GUEST_ROLE: Role = { name: GUEST, kv: { read: ['/*'], write: ['/*'] }, grant: null, revoke: null };

/** What an applied change gives its client. */
export type AuthChange =
  | {
      readonly kind: 'user';
      readonly user: { readonly name: string; readonly roles: readonly string[] | null };
      readonly created: boolean;
    }
  | { readonly kind: 'role'; readonly role: Role }
  | { readonly kind: 'done' };

/** A refused auth request: etcd's auth error, an HTTP status and its "auth: ..." message. */
export class AuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export function authError(status: number, text: string): AuthError {
  return new AuthError(status, `auth: ${text}`);
}
