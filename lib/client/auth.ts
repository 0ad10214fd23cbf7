// /v2/auth as etcd's Go client (client/v2 AuthAPI, AuthUserAPI, AuthRoleAPI)
// uses it: the same requests, and a refusal is the server's "message".

import type { CallOptions, ClusterClient } from './cluster.js';
import { invalidJson } from './errors.js';
import type { HttpRequest, HttpResponse } from './transport.js';
import type { Endpoint } from './url.js';
import { joinPath, requestTarget } from './url.js';

const authPrefix = '/v2/auth';

/** A refused auth request; its message is the server's ("auth: ...", "Insufficient credentials"). */
export class AuthRefusedError extends Error {
  override readonly name = 'AuthRefusedError';
}

export interface RolePermissions {
  readonly read: readonly string[];
  readonly write: readonly string[];
}

export interface RoleInfo {
  readonly role: string;
  readonly permissions: RolePermissions;
}

export type PermissionType = 'read' | 'write' | 'readwrite';

function parse(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    throw invalidJson();
  }
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Go's encoding/json matches field names case-insensitively. */
function field(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name];
  const k = Object.keys(o).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : o[k];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : '')) : [];
}

function toRole(v: unknown): RoleInfo {
  const o = obj(v);
  const kv = obj(field(obj(field(o, 'permissions')), 'kv'));
  return {
    role: String(field(o, 'role') ?? ''),
    permissions: { read: strings(field(kv, 'read')), write: strings(field(kv, 'write')) },
  };
}

/** etcd's client: anything but the expected statuses is the body's message. */
function check(res: HttpResponse, ...ok: number[]): void {
  if (ok.includes(res.status)) return;
  const message = field(obj(parse(res)), 'message');
  throw new AuthRefusedError(typeof message === 'string' ? message : '');
}

export class AuthApi {
  constructor(private readonly client: ClusterClient) {}

  private send(
    method: HttpRequest['method'],
    parts: string[],
    body: unknown,
    call: CallOptions,
  ): Promise<HttpResponse> {
    const text = body === undefined ? null : JSON.stringify(body);
    const action = (ep: Endpoint): HttpRequest => ({
      method,
      target: requestTarget(joinPath(ep.path, authPrefix, ...parts), ''),
      headers: text === null ? {} : { 'content-type': 'application/json' },
      body: text,
    });
    return this.client.do(action, { ...call, oneShot: method !== 'GET' });
  }

  async enable(call: CallOptions = {}): Promise<void> {
    check(await this.send('PUT', ['enable'], undefined, call), 200, 201);
  }

  async disable(call: CallOptions = {}): Promise<void> {
    check(await this.send('DELETE', ['enable'], undefined, call), 200, 201);
  }

  async listUsers(call: CallOptions = {}): Promise<string[]> {
    const res = await this.send('GET', ['users'], undefined, call);
    check(res, 200);
    const users = field(obj(parse(res)), 'users');
    return Array.isArray(users) ? users.map((u) => String(field(obj(u), 'user') ?? '')) : [];
  }

  /** The user and its role names; null-free. */
  async getUser(name: string, call: CallOptions = {}): Promise<{ user: string; roles: string[] }> {
    const res = await this.send('GET', ['users', name], undefined, call);
    check(res, 200);
    const o = obj(parse(res));
    const roles = field(o, 'roles');
    return {
      user: String(field(o, 'user') ?? ''),
      roles: Array.isArray(roles) ? roles.map((r) => (typeof r === 'string' ? r : toRole(r).role)) : [],
    };
  }

  async addUser(name: string, password: string, call: CallOptions = {}): Promise<void> {
    check(await this.send('PUT', ['users', name], { user: name, password }, call), 200, 201);
  }

  async removeUser(name: string, call: CallOptions = {}): Promise<void> {
    check(await this.send('DELETE', ['users', name], undefined, call), 200, 201);
  }

  async grantUser(name: string, roles: readonly string[], call: CallOptions = {}): Promise<void> {
    check(await this.send('PUT', ['users', name], { user: name, grant: roles }, call), 200);
  }

  async revokeUser(name: string, roles: readonly string[], call: CallOptions = {}): Promise<void> {
    check(await this.send('PUT', ['users', name], { user: name, revoke: roles }, call), 200);
  }

  async changePassword(name: string, password: string, call: CallOptions = {}): Promise<void> {
    check(await this.send('PUT', ['users', name], { user: name, password }, call), 200);
  }

  async listRoles(call: CallOptions = {}): Promise<string[]> {
    const res = await this.send('GET', ['roles'], undefined, call);
    // etcd's client reads no message here, only the status.
    if (res.status !== 200) throw new AuthRefusedError(`unexpected status code ${res.status}`);
    const roles = field(obj(parse(res)), 'roles');
    return Array.isArray(roles) ? roles.map((r) => (typeof r === 'string' ? r : toRole(r).role)) : [];
  }

  async getRole(name: string, call: CallOptions = {}): Promise<RoleInfo> {
    const res = await this.send('GET', ['roles', name], undefined, call);
    check(res, 200);
    return toRole(parse(res));
  }

  async addRole(name: string, call: CallOptions = {}): Promise<void> {
    check(
      await this.send('PUT', ['roles', name], { role: name, permissions: { kv: { read: null, write: null } } }, call),
      200,
      201,
    );
  }

  async removeRole(name: string, call: CallOptions = {}): Promise<void> {
    check(await this.send('DELETE', ['roles', name], undefined, call), 200, 201);
  }

  async grantRole(name: string, paths: readonly string[], type: PermissionType, call: CallOptions = {}): Promise<void> {
    check(
      await this.send(
        'PUT',
        ['roles', name],
        { role: name, permissions: { kv: { read: null, write: null } }, grant: { kv: kvOf(paths, type) } },
        call,
      ),
      200,
    );
  }

  async revokeRole(
    name: string,
    paths: readonly string[],
    type: PermissionType,
    call: CallOptions = {},
  ): Promise<void> {
    check(
      await this.send(
        'PUT',
        ['roles', name],
        { role: name, permissions: { kv: { read: null, write: null } }, revoke: { kv: kvOf(paths, type) } },
        call,
      ),
      200,
    );
  }
}

function kvOf(
  paths: readonly string[],
  type: PermissionType,
): { read: readonly string[] | null; write: readonly string[] | null } {
  return { read: type === 'write' ? null : paths, write: type === 'read' ? null : paths };
}
