// The auth data of one member, built only by applying committed entries (or
// restoring a snapshot), so every member holds the same. Each change is
// decided here, at apply time: "already exists", "duplicate grant" and the
// like come out the same on every member and cannot race with each other.

import {
  AuthError,
  authError,
  DEFAULT_GUEST_ROLE,
  GUEST,
  ROOT,
  ROOT_ROLE,
  type AuthChange,
  type AuthOperation,
  type KvPermissions,
  type Role,
  type User,
} from './model.js';
import { goSorted } from './permissions.js';

/** What readers (the API, segdump) may see; never changed through it. */
export interface AuthView {
  readonly enabled: boolean;
  /** The user as etcd reads it: the root user always has the root role. */
  user(name: string): User | undefined;
  /** The stored role, or the built-in root role. */
  role(name: string): Role | undefined;
  /** Names, sorted as Go sorts them. */
  userNames(): string[];
  /** Names including root, sorted as Go sorts them. */
  roleNames(): string[];
}

export interface AuthData {
  readonly enabled: boolean;
  readonly users: readonly User[];
  readonly roles: readonly Role[];
}

/** etcd's attachRootRole: the root user has the root role whatever is stored. */
function withRootRole(u: User): User {
  if (u.name !== ROOT || (u.roles ?? []).includes(ROOT)) return u;
  return { ...u, roles: [...(u.roles ?? []), ROOT] };
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function samePermissions(a: KvPermissions | null, b: KvPermissions | null): boolean {
  if (a === null || b === null) return a === b;
  return sameList(a.read, b.read) && sameList(a.write, b.write);
}

/** Go's reflect.DeepEqual of two roles as etcd stores them. */
function sameRole(a: Role, b: Role): boolean {
  return (
    a.name === b.name &&
    samePermissions(a.kv, b.kv) &&
    samePermissions(a.grant, b.grant) &&
    samePermissions(a.revoke, b.revoke)
  );
}

function grantPermissions(kv: KvPermissions, add: KvPermissions): KvPermissions | AuthError {
  const read = new Set(kv.read ?? []);
  for (const p of add.read ?? []) {
    if (read.has(p)) return authError(409, `Granting duplicate read permission ${p}`);
    read.add(p);
  }
  const write = new Set(kv.write ?? []);
  for (const p of add.write ?? []) {
    if (write.has(p)) return authError(409, `Granting duplicate write permission ${p}`);
    write.add(p);
  }
  return { read: goSorted(read), write: goSorted(write) };
}

/** Revoking a permission the role does not have is no error (etcd only logs it). */
function revokePermissions(kv: KvPermissions, remove: KvPermissions): KvPermissions {
  const read = new Set(kv.read ?? []);
  for (const p of remove.read ?? []) read.delete(p);
  const write = new Set(kv.write ?? []);
  for (const p of remove.write ?? []) write.delete(p);
  return { read: goSorted(read), write: goSorted(write) };
}

export class AuthState implements AuthView {
  private on = false;
  private readonly users = new Map<string, User>();
  private readonly roles = new Map<string, Role>();

  constructor(data?: AuthData) {
    if (data) this.replace(data);
  }

  get enabled(): boolean {
    return this.on;
  }

  /** Replace everything (a snapshot from the leader); readers holding this object see the new data. */
  replace(data: AuthData): void {
    this.on = data.enabled;
    this.users.clear();
    this.roles.clear();
    for (const u of data.users) this.users.set(u.name, u);
    for (const r of data.roles) this.roles.set(r.name, r);
  }

  data(): AuthData {
    return { enabled: this.on, users: [...this.users.values()], roles: [...this.roles.values()] };
  }

  user(name: string): User | undefined {
    const u = this.users.get(name);
    return u && withRootRole(u);
  }

  role(name: string): Role | undefined {
    return name === ROOT ? ROOT_ROLE : this.roles.get(name);
  }

  userNames(): string[] {
    return goSorted(this.users.keys());
  }

  roleNames(): string[] {
    return goSorted([ROOT, ...this.roles.keys()]);
  }

  /** Applies one committed change; a refusal is returned, not thrown, and changes nothing. */
  apply(op: AuthOperation): AuthChange | AuthError {
    switch (op.op) {
      case 'auth-enable':
        return this.enable();
      case 'auth-disable':
        if (!this.on) return authError(409, 'already disabled');
        this.on = false;
        return { kind: 'done' };
      case 'user-create':
        return this.createUser(op.name, op.passwordHash, op.roles);
      case 'user-put':
        if (this.users.has(op.name)) return this.updateUser(op.name, op.passwordHash, [], []);
        if (op.passwordHash === null) return authError(400, `Cannot create user ${op.name} with an empty password`);
        return this.createUser(op.name, op.passwordHash, null, true);
      case 'user-update':
        return this.updateUser(op.name, op.passwordHash, op.grant, op.revoke);
      case 'user-delete':
        if (this.on && op.name === ROOT) return authError(403, 'Cannot delete root user while auth is enabled.');
        if (!this.users.delete(op.name)) return authError(404, `User ${op.name} does not exist`);
        return { kind: 'done' };
      case 'role-create':
        if (op.role.name === ROOT) return authError(403, `Cannot modify role ${ROOT}: is root role.`);
        if (this.roles.has(op.role.name)) return authError(409, `Role ${op.role.name} already exists.`);
        this.roles.set(op.role.name, op.role);
        return { kind: 'role', role: op.role };
      case 'role-update':
        return this.updateRole(op.name, op.grant, op.revoke);
      case 'role-delete':
        if (op.name === ROOT) return authError(403, `Cannot modify role ${ROOT}: is root role.`);
        if (!this.roles.delete(op.name)) return authError(404, `Role ${op.name} doesn't exist.`);
        return { kind: 'done' };
    }
  }

  private enable(): AuthChange | AuthError {
    if (this.on) return authError(409, 'already enabled');
    if (!this.users.has(ROOT)) return authError(409, 'No root user available, please create one');
    if (!this.roles.has(GUEST)) this.roles.set(GUEST, DEFAULT_GUEST_ROLE);
    this.on = true;
    return { kind: 'done' };
  }

  private createUser(
    name: string,
    passwordHash: string,
    roles: readonly string[] | null,
    created = false,
  ): AuthChange | AuthError {
    if (this.users.has(name)) return authError(409, `User ${name} already exists.`);
    const user = withRootRole({ name, passwordHash, roles });
    this.users.set(name, user);
    return { kind: 'user', user: { name, roles: user.roles }, created };
  }

  private updateUser(
    name: string,
    passwordHash: string | null,
    grant: readonly string[],
    revoke: readonly string[],
  ): AuthChange | AuthError {
    const old = this.user(name);
    if (old === undefined) return authError(404, `User ${name} does not exist.`);
    const roles = new Set(old.roles ?? []);
    for (const g of grant) {
      if (roles.has(g)) return authError(409, `Granting duplicate role ${g} for user ${name}`);
      roles.add(g);
    }
    for (const r of revoke) {
      if (!roles.has(r)) return authError(409, `Revoking ungranted role ${r} for user ${name}`);
      roles.delete(r);
    }
    const updated: User = { name, passwordHash: passwordHash ?? old.passwordHash, roles: goSorted(roles) };
    if (passwordHash === null && sameList(old.roles, updated.roles)) {
      return authError(400, 'User not updated. Use grant/revoke/password to update the user.');
    }
    this.users.set(name, updated);
    return { kind: 'user', user: { name, roles: updated.roles }, created: false };
  }

  private updateRole(name: string, grant: KvPermissions | null, revoke: KvPermissions | null): AuthChange | AuthError {
    if (name === ROOT) return authError(403, `Cannot modify role ${ROOT}: is root role.`);
    const old = this.roles.get(name);
    if (old === undefined) return authError(404, `Role ${name} does not exist.`);
    let kv = old.kv;
    if (grant !== null) {
      const granted = grantPermissions(kv, grant);
      if (granted instanceof AuthError) return granted;
      kv = granted;
    }
    if (revoke !== null) kv = revokePermissions(kv, revoke);
    const updated: Role = { name, kv, grant: null, revoke: null };
    if (sameRole(old, updated)) return authError(400, 'Role not updated. Use grant/revoke to update the role.');
    this.roles.set(name, updated);
    return { kind: 'role', role: updated };
  }
}
