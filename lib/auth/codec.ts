// Auth data in Avro: the changes as branches of the log's proposal union, and
// the whole state as one record inside snapshots. Also what segdump shows of
// a change: names, roles and patterns, never a password hash.

import avro from 'avsc';
import type { AuthOperation, KvPermissions, Role, User } from './model.js';
import type { AuthData } from './state.js';

const optStrings = ['null', { type: 'array', items: 'string' }];

function kvSchema(): object {
  return {
    type: 'record',
    name: 'KvPermissions',
    fields: [
      { name: 'read', type: optStrings },
      { name: 'write', type: optStrings },
    ],
  };
}

/** A role record; `kv` is the full KvPermissions definition the first time it appears in a schema, else its name. */
function roleSchema(kv: object | string): object {
  return {
    type: 'record',
    name: 'AuthRole',
    fields: [
      { name: 'name', type: 'string' },
      { name: 'kv', type: kv },
      { name: 'grant', type: ['null', 'KvPermissions'] },
      { name: 'revoke', type: ['null', 'KvPermissions'] },
    ],
  };
}

/**
 * The branches appended to the proposal body union, in this order for ever
 * (a union branch is known by its position in the log).
 */
export const AUTH_OPERATION_SCHEMAS: readonly object[] = [
  { type: 'record', name: 'AuthEnable', fields: [] },
  { type: 'record', name: 'AuthDisable', fields: [] },
  {
    type: 'record',
    name: 'UserCreate',
    fields: [
      { name: 'name', type: 'string' },
      { name: 'passwordHash', type: 'string' },
      { name: 'roles', type: optStrings },
    ],
  },
  {
    type: 'record',
    name: 'UserPut',
    fields: [
      { name: 'name', type: 'string' },
      { name: 'passwordHash', type: ['null', 'string'] },
    ],
  },
  {
    type: 'record',
    name: 'UserUpdate',
    fields: [
      { name: 'name', type: 'string' },
      { name: 'passwordHash', type: ['null', 'string'] },
      { name: 'grant', type: { type: 'array', items: 'string' } },
      { name: 'revoke', type: { type: 'array', items: 'string' } },
    ],
  },
  { type: 'record', name: 'UserDelete', fields: [{ name: 'name', type: 'string' }] },
  { type: 'record', name: 'RoleCreate', fields: [{ name: 'role', type: roleSchema(kvSchema()) }] },
  {
    type: 'record',
    name: 'RoleUpdate',
    fields: [
      { name: 'name', type: 'string' },
      { name: 'grant', type: ['null', 'KvPermissions'] },
      { name: 'revoke', type: ['null', 'KvPermissions'] },
    ],
  },
  { type: 'record', name: 'RoleDelete', fields: [{ name: 'name', type: 'string' }] },
];

type Wire = Record<string, Record<string, unknown>>;

const kvToWire = (kv: KvPermissions): Record<string, unknown> => ({
  read: kv.read && [...kv.read],
  write: kv.write && [...kv.write],
});
const optKvToWire = (kv: KvPermissions | null): Record<string, unknown> | null => (kv === null ? null : kvToWire(kv));
const roleToWire = (r: Role): Record<string, unknown> => ({
  name: r.name,
  kv: kvToWire(r.kv),
  grant: optKvToWire(r.grant),
  revoke: optKvToWire(r.revoke),
});

function kvFromWire(w: unknown): KvPermissions {
  const kv = w as { read: string[] | null; write: string[] | null };
  return { read: kv.read, write: kv.write };
}
const optKvFromWire = (w: unknown): KvPermissions | null => (w === null || w === undefined ? null : kvFromWire(w));
function roleFromWire(w: unknown): Role {
  const r = w as Record<string, unknown>;
  return {
    name: r.name as string,
    kv: kvFromWire(r.kv),
    grant: optKvFromWire(r.grant),
    revoke: optKvFromWire(r.revoke),
  };
}

/** The proposal union's wrapped form of a change. */
export function authOperationToWire(op: AuthOperation): Wire {
  switch (op.op) {
    case 'auth-enable':
      return { AuthEnable: {} };
    case 'auth-disable':
      return { AuthDisable: {} };
    case 'user-create':
      return { UserCreate: { name: op.name, passwordHash: op.passwordHash, roles: op.roles && [...op.roles] } };
    case 'user-put':
      return { UserPut: { name: op.name, passwordHash: op.passwordHash } };
    case 'user-update':
      return {
        UserUpdate: { name: op.name, passwordHash: op.passwordHash, grant: [...op.grant], revoke: [...op.revoke] },
      };
    case 'user-delete':
      return { UserDelete: { name: op.name } };
    case 'role-create':
      return { RoleCreate: { role: roleToWire(op.role) } };
    case 'role-update':
      return { RoleUpdate: { name: op.name, grant: optKvToWire(op.grant), revoke: optKvToWire(op.revoke) } };
    case 'role-delete':
      return { RoleDelete: { name: op.name } };
  }
}

/** The change a wrapped union value holds, or null when it is not an auth branch. */
export function authOperationFromWire(w: object): AuthOperation | null {
  const [name, v] = Object.entries(w)[0] as [string, Record<string, unknown>];
  switch (name) {
    case 'AuthEnable':
      return { op: 'auth-enable' };
    case 'AuthDisable':
      return { op: 'auth-disable' };
    case 'UserCreate':
      return {
        op: 'user-create',
        name: v.name as string,
        passwordHash: v.passwordHash as string,
        roles: v.roles as string[] | null,
      };
    case 'UserPut':
      return { op: 'user-put', name: v.name as string, passwordHash: v.passwordHash as string | null };
    case 'UserUpdate':
      return {
        op: 'user-update',
        name: v.name as string,
        passwordHash: v.passwordHash as string | null,
        grant: v.grant as string[],
        revoke: v.revoke as string[],
      };
    case 'UserDelete':
      return { op: 'user-delete', name: v.name as string };
    case 'RoleCreate':
      return { op: 'role-create', role: roleFromWire(v.role) };
    case 'RoleUpdate':
      return {
        op: 'role-update',
        name: v.name as string,
        grant: optKvFromWire(v.grant),
        revoke: optKvFromWire(v.revoke),
      };
    case 'RoleDelete':
      return { op: 'role-delete', name: v.name as string };
    default:
      return null;
  }
}

const showKv = (kv: KvPermissions | null): unknown => kv && { read: kv.read, write: kv.write };

/** For segdump: the change in an operator's terms; a password shows only as whether one was set. */
export function describeAuthOperation(op: AuthOperation): Record<string, unknown> {
  switch (op.op) {
    case 'auth-enable':
      return { method: 'AUTH-ENABLE' };
    case 'auth-disable':
      return { method: 'AUTH-DISABLE' };
    case 'user-create':
      return { method: 'USER-CREATE', user: op.name, password: 'set', roles: op.roles };
    case 'user-put':
      return { method: 'USER-PUT', user: op.name, password: op.passwordHash === null ? 'unchanged' : 'set' };
    case 'user-update':
      return {
        method: 'USER-UPDATE',
        user: op.name,
        password: op.passwordHash === null ? 'unchanged' : 'set',
        grant: op.grant,
        revoke: op.revoke,
      };
    case 'user-delete':
      return { method: 'USER-DELETE', user: op.name };
    case 'role-create':
      return { method: 'ROLE-CREATE', role: op.role.name, permissions: showKv(op.role.kv) };
    case 'role-update':
      return { method: 'ROLE-UPDATE', role: op.name, grant: showKv(op.grant), revoke: showKv(op.revoke) };
    case 'role-delete':
      return { method: 'ROLE-DELETE', role: op.name };
  }
}

const stateType = avro.Type.forSchema({
  type: 'record',
  name: 'AuthState',
  namespace: 'kvd',
  fields: [
    { name: 'enabled', type: 'boolean' },
    {
      name: 'users',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'AuthUser',
          fields: [
            { name: 'name', type: 'string' },
            { name: 'passwordHash', type: 'string' },
            { name: 'roles', type: optStrings },
          ],
        },
      },
    },
    { name: 'roles', type: { type: 'array', items: roleSchema(kvSchema()) } },
  ],
} as avro.Schema);

/** The whole auth state as snapshot bytes. */
export function encodeAuthData(d: AuthData): Buffer {
  return stateType.toBuffer({
    enabled: d.enabled,
    users: d.users.map((u) => ({ name: u.name, passwordHash: u.passwordHash, roles: u.roles && [...u.roles] })),
    roles: d.roles.map(roleToWire),
  });
}

/** Decodes encodeAuthData's bytes starting at `offset`; returns the data and where it ended. */
export function decodeAuthData(buf: Buffer, offset: number): { data: AuthData; end: number } {
  const { value, offset: end } = stateType.decode(buf, offset) as { value: unknown; offset: number };
  if (end < 0) throw new Error(`auth state in snapshot data is truncated (from byte ${offset} of ${buf.length})`);
  const w = value as { enabled: boolean; users: Array<Record<string, unknown>>; roles: unknown[] };
  const users: User[] = w.users.map((u) => ({
    name: u.name as string,
    passwordHash: u.passwordHash as string,
    roles: u.roles as string[] | null,
  }));
  return { data: { enabled: w.enabled, users, roles: w.roles.map(roleFromWire) }, end };
}

/** For segdump: what a snapshot's auth state holds, without hashes. */
export function describeAuthData(d: AuthData): {
  enabled: boolean;
  users: { user: string; roles: readonly string[] | null }[];
  roles: { role: string; permissions: unknown }[];
} {
  const byName = <T extends { name: string }>(list: readonly T[]): T[] =>
    [...list].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  return {
    enabled: d.enabled,
    users: byName(d.users).map((u) => ({ user: u.name, roles: u.roles })),
    roles: byName(d.roles).map((r) => ({ role: r.name, permissions: showKv(r.kv) })),
  };
}
