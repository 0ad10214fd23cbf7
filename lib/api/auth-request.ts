// The JSON bodies of PUT /v2/auth/users/NAME and /v2/auth/roles/NAME, decoded
// as etcd does with Go's json.Decoder into its User and Role structs: only
// the first JSON value counts (anything after it is ignored), field names
// match case-insensitively, null leaves a field as it was (and makes a list
// absent), and a value of the wrong type fails the whole body. Every failure
// is the same answer ("Invalid JSON in request body."), so it is null here.

import type { KvPermissions } from '../auth/index.js';

export interface UserBody {
  readonly user: string;
  readonly password: string;
  readonly roles: readonly string[] | null;
  readonly grant: readonly string[] | null;
  readonly revoke: readonly string[] | null;
}

export interface RoleBody {
  readonly role: string;
  readonly permissions: KvPermissions;
  readonly grant: KvPermissions | null;
  readonly revoke: KvPermissions | null;
}

class TypeMismatch extends Error {}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** The text of the first JSON value (json.Decoder reads no further), or null when there is none. */
function firstValueText(text: string): string | null {
  let i = 0;
  while (i < text.length && isSpace(text[i]!)) i++;
  const start = i;
  if (i >= text.length) return null;
  const c = text[i]!;
  if (c !== '{' && c !== '[' && c !== '"') {
    // A literal or a number ends where a delimiter begins.
    while (i < text.length && !isSpace(text[i]!) && !'{}[],:"'.includes(text[i]!)) i++;
    return text.slice(start, i);
  }
  let depth = 0;
  let inString = false;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') {
        inString = false;
        if (depth === 0) return text.slice(start, i + 1);
      }
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return null;
}

function parseFirst(body: Buffer): unknown {
  const text = firstValueText(body.toString('utf8'));
  if (text === null) throw new TypeMismatch('no JSON value');
  return JSON.parse(text) as unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's case-insensitive field match: each key naming the field, in order. */
function fieldValues(obj: Record<string, unknown>, name: string): unknown[] {
  const out: unknown[] = [];
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === name) out.push(v);
  return out;
}

function stringField(obj: Record<string, unknown>, name: string, current: string): string {
  let v = current;
  for (const x of fieldValues(obj, name)) {
    if (x === null) continue;
    if (typeof x !== 'string') throw new TypeMismatch(name);
    v = x;
  }
  return v;
}

function stringList(x: unknown, name: string): string[] | null {
  if (x === null) return null;
  if (!Array.isArray(x)) throw new TypeMismatch(name);
  return x.map((el: unknown) => {
    if (el === null) return '';
    if (typeof el !== 'string') throw new TypeMismatch(name);
    return el;
  });
}

function listField(obj: Record<string, unknown>, name: string, current: string[] | null): string[] | null {
  let v = current;
  for (const x of fieldValues(obj, name)) v = stringList(x, name);
  return v;
}

/** Decodes {"kv":{"read":[...],"write":[...]}} into `current` (Go decodes a struct in place). */
function permissionsInto(x: unknown, current: KvPermissions): KvPermissions {
  if (x === null) return current;
  if (!isObject(x)) throw new TypeMismatch('permissions');
  let kv = current;
  for (const k of fieldValues(x, 'kv')) {
    if (k === null) continue;
    if (!isObject(k)) throw new TypeMismatch('kv');
    kv = {
      read: listField(k, 'read', kv.read as string[] | null),
      write: listField(k, 'write', kv.write as string[] | null),
    };
  }
  return kv;
}

const EMPTY: KvPermissions = { read: null, write: null };

/** A *Permissions field: null makes it absent, an object decodes into it. */
function optionalPermissions(obj: Record<string, unknown>, name: string): KvPermissions | null {
  let v: KvPermissions | null = null;
  for (const x of fieldValues(obj, name)) v = x === null ? null : permissionsInto(x, v ?? EMPTY);
  return v;
}

export function decodeUserBody(body: Buffer): UserBody | null {
  try {
    const doc = parseFirst(body);
    if (doc === null) return { user: '', password: '', roles: null, grant: null, revoke: null };
    if (!isObject(doc)) return null;
    return {
      user: stringField(doc, 'user', ''),
      password: stringField(doc, 'password', ''),
      roles: listField(doc, 'roles', null),
      grant: listField(doc, 'grant', null),
      revoke: listField(doc, 'revoke', null),
    };
  } catch {
    return null;
  }
}

export function decodeRoleBody(body: Buffer): RoleBody | null {
  try {
    const doc = parseFirst(body);
    if (doc === null) return { role: '', permissions: EMPTY, grant: null, revoke: null };
    if (!isObject(doc)) return null;
    let permissions = EMPTY;
    for (const x of fieldValues(doc, 'permissions')) permissions = permissionsInto(x, permissions);
    return {
      role: stringField(doc, 'role', ''),
      permissions,
      grant: optionalPermissions(doc, 'grant'),
      revoke: optionalPermissions(doc, 'revoke'),
    };
  } catch {
    return null;
  }
}

/** etcd's Permissions.IsEmpty: absent, or no pattern at all. */
export function noPermissions(p: KvPermissions | null): boolean {
  return p === null || ((p.read ?? []).length === 0 && (p.write ?? []).length === 0);
}
