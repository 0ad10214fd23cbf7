// The operations table: every change a normal log entry can carry, described
// once. Each line gives the operation's name (the `op` of its value), who
// applies it, its Avro record's name, the method segdump shows, and its fields
// in encoding order; the TypeScript types, the Avro schema, encode, decode and
// the description all come from it (fields.ts, codec.ts).
//
// The bytes in existing logs are fixed: an operation's position in this table
// is its branch of the body union, and its fields are its record, so lines
// are only ever appended, and a field never changes or moves
// (test/proposal/compatibility.test.ts reads what earlier encoders wrote).
// Adding a field therefore means two places: a new line here (a new
// operation that carries it, appended), and the code that sets or applies it.

import {
  boolean,
  enumOf,
  long,
  nullable,
  optional,
  record,
  shown,
  shownAs,
  string,
  strings,
  uint64,
  type Fields,
  type Kind,
  type RecordKind,
  type RecordValue,
  type ValueOf,
} from './fields.js';

/** Who applies an operation: the key tree, the member list, or the auth data. */
type Applier = 'store' | 'members' | 'auth';

interface Operation<A extends Applier, F extends Fields> {
  readonly appliedBy: A;
  /** What segdump shows as the entry's method. */
  readonly method: string;
  readonly record: RecordKind<F>;
}

function operation<A extends Applier, F extends Fields>(
  appliedBy: A,
  recordName: string,
  method: string,
  fields: F,
): Operation<A, F> {
  return { appliedBy, method, record: record(recordName, fields) };
}

const kvPermissions = record('KvPermissions', { read: nullable(strings), write: nullable(strings) });

export const role = record('AuthRole', {
  name: string,
  kv: kvPermissions,
  /**
   * A grant or revoke given with no permission in it when the role was
   * created: etcd stores its request as it came and shows them until the
   * first update. null when absent.
   */
  grant: nullable(kvPermissions),
  revoke: nullable(kvPermissions),
});

/** A bcrypt hash: the log holds it, segdump shows only that one was set. */
const passwordHash = shown(string, () => ({ password: 'set' }));
/** A new bcrypt hash, or null when the password does not change. */
const newPasswordHash = shown(nullable(string), (v) => ({ password: v === null ? 'unchanged' : 'set' }));
const userName = shownAs('user', string);
const roleName = shownAs('role', string);

export const OPERATIONS = {
  /** PUT /v2/keys/path: set, create, update, compareAndSwap, refresh. Absent conditions are not checked. */
  put: operation('store', 'Put', 'PUT', {
    path: string,
    value: string,
    dir: boolean,
    /** Seconds to live; null means permanent (and `ttl=` clears a TTL). */
    ttl: nullable(long),
    /** Reset the TTL without changing the value and without notifying watchers. */
    refresh: boolean,
    prevValue: optional(string),
    /** Any unsigned 64-bit value, as etcd takes it; one above every index the store reaches just fails. */
    prevIndex: optional(uint64),
    /** true: must exist (update); false: must not exist (create). */
    prevExist: optional(boolean),
  }),
  /** POST /v2/keys/dir: create an in-order key (etcd's zero-padded name) under dir. */
  post: operation('store', 'Post', 'POST', { path: string, value: string, dir: boolean, ttl: nullable(long) }),
  /** DELETE /v2/keys/path: delete or compareAndDelete. */
  delete: operation('store', 'Delete', 'DELETE', {
    path: string,
    dir: boolean,
    recursive: boolean,
    prevValue: optional(string),
    prevIndex: optional(uint64),
  }),
  /** Proposed by the leader: expire every key whose deadline is <= the entry time. */
  sync: operation('store', 'Sync', 'SYNC', {}),
  /** Announces a member's name and client URLs (etcd's "publish"). */
  publish: operation('members', 'Publish', 'PUBLISH', { id: string, name: string, clientURLs: strings }),
  'auth-enable': operation('auth', 'AuthEnable', 'AUTH-ENABLE', {}),
  'auth-disable': operation('auth', 'AuthDisable', 'AUTH-DISABLE', {}),
  /** PUT of a user with roles: create only. */
  'user-create': operation('auth', 'UserCreate', 'USER-CREATE', {
    name: userName,
    passwordHash,
    roles: nullable(strings),
  }),
  /** PUT of a user with neither roles nor grant/revoke: create, or change the password. */
  'user-put': operation('auth', 'UserPut', 'USER-PUT', { name: userName, passwordHash: newPasswordHash }),
  /** PUT of a user with grant or revoke (and perhaps a new password). */
  'user-update': operation('auth', 'UserUpdate', 'USER-UPDATE', {
    name: userName,
    passwordHash: newPasswordHash,
    grant: strings,
    revoke: strings,
  }),
  'user-delete': operation('auth', 'UserDelete', 'USER-DELETE', { name: userName }),
  'role-create': operation('auth', 'RoleCreate', 'ROLE-CREATE', {
    role: shown(role, (r) => ({ role: r.name, permissions: kvPermissions.show(r.kv) })),
  }),
  'role-update': operation('auth', 'RoleUpdate', 'ROLE-UPDATE', {
    name: roleName,
    grant: nullable(kvPermissions),
    revoke: nullable(kvPermissions),
  }),
  'role-delete': operation('auth', 'RoleDelete', 'ROLE-DELETE', { name: roleName }),
};

type Operations = typeof OPERATIONS;
export type OperationName = keyof Operations;

type Flat<T> = { [K in keyof T]: T[K] } & {};
type BodyOf<Op extends OperationName> = Flat<{ readonly op: Op } & RecordValue<Operations[Op]['record']['fields']>>;
type AppliedBy<A extends Applier> = {
  [Op in OperationName]: Operations[Op]['appliedBy'] extends A ? Op : never;
}[OperationName];

/** What one normal log entry asks for. */
export type ProposalBody = { [Op in OperationName]: BodyOf<Op> }[OperationName];
/** The mutations the key tree applies. */
export type StoreRequest = Extract<ProposalBody, { op: AppliedBy<'store'> }>;
export type StoreOp = StoreRequest['op'];
/** A change to the auth data. Passwords arrive hashed: the log never holds one. */
export type AuthOperation = Extract<ProposalBody, { op: AppliedBy<'auth'> }>;
export type PublishRequest = BodyOf<'publish'>;

export type KvPermissions = ValueOf<typeof kvPermissions>;
export type Role = ValueOf<typeof role>;

const operationList = Object.entries(OPERATIONS) as Array<[OperationName, Operation<Applier, Fields>]>;
const byRecordName = new Map(operationList.map(([op, o]) => [o.record.type.name ?? '', { op, o }]));

export function operationOf(op: OperationName): Operation<Applier, Fields> {
  return OPERATIONS[op] as Operation<Applier, Fields>;
}

export function isAuthOperation(body: ProposalBody): body is AuthOperation {
  return operationOf(body.op).appliedBy === 'auth';
}

/** The body union: a record per operation, in table order, wrapped as `{ RecordName: fields }`. */
export const proposalBody: Kind<ProposalBody> = {
  shape: { kind: 'operations' },
  schema: operationList.map(([, o]) => o.record.type) as unknown as Kind<unknown>['schema'],
  toWire(body) {
    const o = operationOf(body.op);
    return { [o.record.type.name ?? '']: o.record.toWire(body) };
  },
  fromWire(w) {
    const name = Object.keys(w as object)[0] ?? '';
    const found = byRecordName.get(name);
    if (found === undefined) throw new Error(`proposal body ${name} is no known operation`);
    return found.o.record.fromWireInto((w as Record<string, unknown>)[name], { op: found.op }) as ProposalBody;
  },
  show(body) {
    return { method: operationOf(body.op).method, ...operationOf(body.op).record.describeFields(body) };
  },
};

/** The envelope of every normal entry's data. */
export const proposal = record('Proposal', {
  /** Member id of the proposer. */
  origin: string,
  /** The proposer's request id, never reused, not even across its restarts; (origin, seq) finds the waiting client. 0: nobody waits. */
  seq: long,
  /** Milliseconds since the epoch, stamped by the proposer. TTLs are computed from it. */
  time: long,
  body: proposalBody,
});
export type Proposal = ValueOf<typeof proposal>;

/** The data of a confChange entry. */
export const membershipChange = record('MembershipChange', {
  type: enumOf('MembershipChangeType', ['add', 'remove', 'update']),
  id: string,
  name: string,
  peerURLs: strings,
  origin: string,
  seq: long,
});
export type MembershipChange = ValueOf<typeof membershipChange>;
