// The data of etcd's v2 auth: users with bcrypt password hashes and role
// names, roles with key patterns they may read and write, and the changes the
// log carries. Lists keep Go's difference between absent (null) and empty,
// because etcd's JSON shows it ("read":null against "read":[]).

/** The role every request of a root user passes as, built in and never stored. */
export const ROOT = 'root';
/** The role of requests without credentials once auth is enabled. */
export const GUEST = 'guest';

export interface KvPermissions {
  readonly read: readonly string[] | null;
  readonly write: readonly string[] | null;
}

export interface Role {
  readonly name: string;
  readonly kv: KvPermissions;
  /**
   * A grant or revoke given with no permission in it when the role was
   * created: etcd stores its request as it came and shows them until the
   * first update. null when absent.
   */
  readonly grant: KvPermissions | null;
  readonly revoke: KvPermissions | null;
}

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

/** A change to the auth data; one entry in the log. Passwords arrive hashed: the log never holds one. */
export type AuthOperation =
  | { readonly op: 'auth-enable' }
  | { readonly op: 'auth-disable' }
  /** PUT of a user with roles: create only. */
  | {
      readonly op: 'user-create';
      readonly name: string;
      readonly passwordHash: string;
      readonly roles: readonly string[] | null;
    }
  /** PUT of a user with neither roles nor grant/revoke: create, or change the password. null: no password given. */
  | { readonly op: 'user-put'; readonly name: string; readonly passwordHash: string | null }
  /** PUT of a user with grant or revoke (and perhaps a new password). */
  | {
      readonly op: 'user-update';
      readonly name: string;
      readonly passwordHash: string | null;
      readonly grant: readonly string[];
      readonly revoke: readonly string[];
    }
  | { readonly op: 'user-delete'; readonly name: string }
  | { readonly op: 'role-create'; readonly role: Role }
  | {
      readonly op: 'role-update';
      readonly name: string;
      readonly grant: KvPermissions | null;
      readonly revoke: KvPermissions | null;
    }
  | { readonly op: 'role-delete'; readonly name: string };

export type AuthOperationName = AuthOperation['op'];

const OPERATION_NAMES: ReadonlySet<string> = new Set<AuthOperationName>([
  'auth-enable',
  'auth-disable',
  'user-create',
  'user-put',
  'user-update',
  'user-delete',
  'role-create',
  'role-update',
  'role-delete',
]);

export function isAuthOperation(body: { readonly op: string }): body is AuthOperation {
  return OPERATION_NAMES.has(body.op);
}

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
