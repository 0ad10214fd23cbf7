// /v2/auth: enable, users and roles, answered as etcd 3.4 answers them (its
// JSON shapes, statuses and messages, and its order of checks: method, then
// root, then the request). Changes go through the log as AuthOperations;
// passwords are hashed here, before the log, so the log never holds one.

import type { Logger } from 'pino';
import {
  AuthError,
  PasswordQueueFull,
  type AuthChange,
  type AuthOperation,
  type AuthService,
  type KvPermissions,
  type Passwords,
  type Role,
} from '../auth/index.js';
import { tooManyRequests, V2Error } from '../errors/index.js';
import type { KeysService } from '../server/index.js';
import type { AuthGate } from './auth-gate.js';
import { decodeRoleBody, decodeUserBody, noPermissions } from './auth-request.js';
import type { Exchange } from './exchange.js';
import { httpErrorJson, marshal, v2ErrorJson } from './json-out.js';
import { JSON_TYPE, reply, replyMethodNotAllowed, replyNotFound } from './respond.js';

/** A user or role body larger than this is refused (etcd reads it whole; one is tiny). */
const MAX_AUTH_BODY_BYTES = 1 << 20;

/** Go's path.Clean of the part after /v2/auth, for a path the router already cleaned: only a trailing slash goes. */
function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function kvJson(kv: KvPermissions): unknown {
  return { read: kv.read, write: kv.write };
}

/** etcd's Role struct as its encoder writes it (grant and revoke are omitempty pointers). */
function roleJson(r: Role): Record<string, unknown> {
  const out: Record<string, unknown> = { role: r.name, permissions: { kv: kvJson(r.kv) } };
  if (r.grant) out.grant = { kv: kvJson(r.grant) };
  if (r.revoke) out.revoke = { kv: kvJson(r.revoke) };
  return out;
}

export class AuthHandler {
  constructor(
    private readonly auth: AuthService,
    private readonly keys: KeysService,
    private readonly gate: AuthGate,
    private readonly passwords: Passwords,
    private readonly logger: Logger,
  ) {}

  /** `rest` is the decoded path after "/v2/auth". */
  async handle(ex: Exchange, rest: string): Promise<void> {
    if (rest === '/enable') return this.enableDisable(ex);
    if (rest === '/users') return this.baseUsers(ex);
    if (rest === '/roles') return this.baseRoles(ex);
    for (const kind of ['users', 'roles'] as const) {
      if (!rest.startsWith(`/${kind}/`)) continue;
      const pieces = trimSlash(rest).split('/');
      if (pieces.length === 2) return kind === 'users' ? this.baseUsers(ex) : this.baseRoles(ex);
      if (pieces.length !== 3) {
        this.replyMessage(ex, 400, 'Invalid path', false);
        return;
      }
      return kind === 'users' ? this.forUser(ex, pieces[2]!) : this.forRole(ex, pieces[2]!);
    }
    replyNotFound(ex);
  }

  private async enableDisable(ex: Exchange): Promise<void> {
    if (!this.allowed(ex, ['GET', 'PUT', 'DELETE'])) return;
    // Anyone may ask whether auth is on.
    if (ex.method !== 'GET' && !(await this.root(ex))) return;
    if (ex.method === 'GET') {
      this.replyJson(ex, 200, { enabled: this.auth.authView.enabled });
      return;
    }
    await this.change(ex, { op: ex.method === 'PUT' ? 'auth-enable' : 'auth-disable' });
  }

  private async baseUsers(ex: Exchange): Promise<void> {
    if (!this.allowed(ex, ['GET'])) return;
    if (!(await this.root(ex))) return;
    const view = this.auth.authView;
    const users: unknown[] = [];
    for (const name of view.userNames()) {
      const u = view.user(name);
      if (!u) continue;
      // Roles that do not exist are left out of the list (a single user's GET fails on them instead).
      const roles = (u.roles ?? []).map((r) => view.role(r)).filter((r): r is Role => r !== undefined);
      users.push(roles.length > 0 ? { user: u.name, roles: roles.map(roleJson) } : { user: u.name });
    }
    this.replyJson(ex, 200, { users: users.length > 0 ? users : null });
  }

  private async baseRoles(ex: Exchange): Promise<void> {
    if (!this.allowed(ex, ['GET'])) return;
    if (!(await this.root(ex))) return;
    const view = this.auth.authView;
    const roles = view
      .roleNames()
      .map((n) => view.role(n))
      .filter((r): r is Role => r !== undefined);
    this.replyJson(ex, 200, { roles: roles.map(roleJson) });
  }

  private async forUser(ex: Exchange, name: string): Promise<void> {
    if (!this.allowed(ex, ['GET', 'PUT', 'DELETE'])) return;
    if (!(await this.root(ex))) return;
    switch (ex.method) {
      case 'GET': {
        const view = this.auth.authView;
        const u = view.user(name);
        if (!u) return this.replyAuthError(ex, new AuthError(404, `auth: User ${name} does not exist.`));
        const roles: unknown[] = [];
        for (const r of u.roles ?? []) {
          const role = view.role(r);
          if (!role) return this.replyAuthError(ex, new AuthError(404, `auth: Role ${r} does not exist.`));
          roles.push(roleJson(role));
        }
        this.replyJson(ex, 200, roles.length > 0 ? { user: u.name, roles } : { user: u.name });
        return;
      }
      case 'PUT': {
        const body = await this.readBody(ex);
        if (body === null) return;
        const u = decodeUserBody(body);
        if (u === null) return this.replyMessage(ex, 400, 'Invalid JSON in request body.', true);
        if (u.user !== name)
          return this.replyMessage(ex, 400, 'User JSON name does not match the name in the URL', true);
        const grant = u.grant ?? [];
        const revoke = u.revoke ?? [];
        const roles = u.roles ?? [];
        if (grant.length === 0 && revoke.length === 0) {
          if (roles.length > 0) {
            if (u.password === '')
              return this.replyAuthError(
                ex,
                new AuthError(400, `auth: Cannot create user ${name} with an empty password`),
              );
            const hash = await this.hash(ex, u.password);
            if (hash === null) return;
            return this.change(ex, { op: 'user-create', name, passwordHash: hash, roles: u.roles });
          }
          const hash = u.password === '' ? null : await this.hash(ex, u.password);
          if (hash === null && u.password !== '') return;
          return this.change(ex, { op: 'user-put', name, passwordHash: hash });
        }
        if (roles.length > 0) return this.replyMessage(ex, 400, 'User JSON contains both roles and grant/revoke', true);
        const hash = u.password === '' ? null : await this.hash(ex, u.password);
        if (hash === null && u.password !== '') return;
        return this.change(ex, { op: 'user-update', name, passwordHash: hash, grant, revoke });
      }
      case 'DELETE':
        return this.change(ex, { op: 'user-delete', name });
    }
  }

  private async forRole(ex: Exchange, name: string): Promise<void> {
    if (!this.allowed(ex, ['GET', 'PUT', 'DELETE'])) return;
    if (!(await this.root(ex))) return;
    switch (ex.method) {
      case 'GET': {
        const role = this.auth.authView.role(name);
        if (!role) return this.replyAuthError(ex, new AuthError(404, `auth: Role ${name} does not exist.`));
        this.replyJson(ex, 200, roleJson(role));
        return;
      }
      case 'PUT': {
        const body = await this.readBody(ex);
        if (body === null) return;
        const r = decodeRoleBody(body);
        if (r === null) return this.replyMessage(ex, 400, 'Invalid JSON in request body.', true);
        if (r.role !== name)
          return this.replyMessage(ex, 400, 'Role JSON name does not match the name in the URL', true);
        if (noPermissions(r.grant) && noPermissions(r.revoke)) {
          return this.change(ex, {
            op: 'role-create',
            role: { name, kv: r.permissions, grant: r.grant, revoke: r.revoke },
          });
        }
        if (!noPermissions(r.permissions))
          return this.replyMessage(ex, 400, 'Role JSON contains both permissions and grant/revoke', true);
        return this.change(ex, { op: 'role-update', name, grant: r.grant, revoke: r.revoke });
      }
      case 'DELETE':
        return this.change(ex, { op: 'role-delete', name });
    }
  }

  /** Commits a change and answers with its outcome. */
  private async change(ex: Exchange, op: AuthOperation): Promise<void> {
    let outcome: AuthChange;
    try {
      outcome = await this.auth.changeAuth(op);
    } catch (err) {
      if (err instanceof AuthError) return this.replyAuthError(ex, err);
      return this.replyFailure(ex, err);
    }
    this.logger.info(
      { change: op.op, name: 'name' in op ? op.name : op.op === 'role-create' ? op.role.name : undefined },
      'auth changed',
    );
    switch (outcome.kind) {
      case 'done':
        reply(ex, 200, this.headers(true), '');
        return;
      case 'user':
        this.replyJson(ex, outcome.created ? 201 : 200, { user: outcome.user.name, roles: outcome.user.roles });
        return;
      case 'role':
        this.replyJson(ex, op.op === 'role-create' ? 201 : 200, roleJson(outcome.role));
        return;
    }
  }

  private async hash(ex: Exchange, password: string): Promise<string | null> {
    try {
      return await this.passwords.hash(password);
    } catch (err) {
      this.replyFailure(ex, err instanceof PasswordQueueFull ? tooManyRequests() : err);
      return null;
    }
  }

  /** etcd's allowMethod; false when a 405 was sent. */
  private allowed(ex: Exchange, methods: readonly string[]): boolean {
    if (methods.includes(ex.method)) return true;
    replyMethodNotAllowed(ex, methods);
    return false;
  }

  /** etcd's hasRootAccess (with auth disabled, everyone); false when a 401 was sent. */
  private async root(ex: Exchange): Promise<boolean> {
    let allowed: boolean;
    try {
      allowed = (await this.gate.rootAccess(ex)).ok;
    } catch (err) {
      this.replyFailure(ex, err);
      return false;
    }
    if (!allowed) this.replyMessage(ex, 401, 'Insufficient credentials', false);
    return allowed;
  }

  private async readBody(ex: Exchange): Promise<Buffer | null> {
    let body: Buffer | 'too-large';
    try {
      body = await ex.readBody(MAX_AUTH_BODY_BYTES);
    } catch {
      return null; // the client went away
    }
    if (body === 'too-large') {
      ex.closeConnection();
      this.replyMessage(ex, 413, 'request body too large', true);
      return null;
    }
    return body;
  }

  /** The headers etcd sets once a request passed its checks: JSON and the cluster id. */
  private headers(withCluster: boolean): string[] {
    return withCluster
      ? ['Content-Type', JSON_TYPE, 'X-Etcd-Cluster-Id', this.keys.indexes().clusterId]
      : ['Content-Type', JSON_TYPE];
  }

  /** json.Encoder's output: the value and a newline. */
  private replyJson(ex: Exchange, status: number, value: unknown): void {
    reply(ex, status, this.headers(true), marshal(value) + '\n');
  }

  /** etcd's httptypes.HTTPError (no newline); before the checks pass, without the cluster id. */
  private replyMessage(ex: Exchange, status: number, message: string, withCluster: boolean): void {
    reply(ex, status, this.headers(withCluster), httpErrorJson(message));
  }

  private replyAuthError(ex: Exchange, err: AuthError): void {
    this.replyMessage(ex, err.status, err.message, true);
  }

  /** A server failure: a V2Error as etcd's WriteError writes it, anything else a bare 500. */
  private replyFailure(ex: Exchange, err: unknown): void {
    if (err instanceof V2Error) {
      reply(ex, err.status, [...this.headers(true), 'X-Etcd-Index', String(err.index)], v2ErrorJson(err));
      return;
    }
    this.logger.warn({ err }, 'auth request failed');
    this.replyMessage(ex, 500, 'Internal Server Error', true);
  }
}
