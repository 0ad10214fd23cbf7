// The whole auth state as one Avro record inside snapshots, made of the same
// role record the log's auth changes carry (lib/proposal), and what segdump
// shows of it: names, roles and patterns, never a password hash.

import { arrayOf, boolean, nullable, record, role, string, strings, type KvPermissions } from '../proposal/index.js';
import type { AuthData } from './state.js';

const user = record('AuthUser', { name: string, passwordHash: string, roles: nullable(strings) });
const authState = record('AuthState', { enabled: boolean, users: arrayOf(user), roles: arrayOf(role) });

/** The whole auth state as snapshot bytes. */
export function encodeAuthData(d: AuthData): Buffer {
  return authState.type.toBuffer(authState.toWire(d));
}

/** Decodes encodeAuthData's bytes starting at `offset`; returns the data and where it ended. */
export function decodeAuthData(buf: Buffer, offset: number): { data: AuthData; end: number } {
  const { value, offset: end } = authState.type.decode(buf, offset) as { value: unknown; offset: number };
  if (end < 0) throw new Error(`auth state in snapshot data is truncated (from byte ${offset} of ${buf.length})`);
  return { data: authState.fromWire(value), end };
}

const showKv = (kv: KvPermissions): unknown => ({ read: kv.read, write: kv.write });

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
