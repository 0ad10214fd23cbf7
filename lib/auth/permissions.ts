// Key patterns as etcd's v2 auth reads them: a pattern ending in `*` matches
// every key that starts with what comes before the star; any other pattern
// matches the key exactly. A recursive request (a recursive read, delete or
// watch) needs a starred pattern whose prefix covers the key, so that every
// key below it is covered too.

import { ROOT, type KvPermissions, type Role } from './model.js';

function simpleMatch(pattern: string, key: string): boolean {
  // etcd indexes the last byte of the pattern and panics on an empty one; here it matches nothing.
  if (pattern === '') return false;
  if (pattern.endsWith('*')) return key.startsWith(pattern.slice(0, -1));
  return key === pattern;
}

function prefixMatch(pattern: string, key: string): boolean {
  if (pattern === '' || !pattern.endsWith('*')) return false;
  return key.startsWith(pattern.slice(0, -1));
}

function patterns(kv: KvPermissions, write: boolean): readonly string[] {
  return (write ? kv.write : kv.read) ?? [];
}

/** Whether the role may read (or write) this one key. */
export function roleHasKeyAccess(role: Role, key: string, write: boolean): boolean {
  if (role.name === ROOT) return true;
  return patterns(role.kv, write).some((p) => simpleMatch(p, key));
}

/** Whether the role may read (or write) the key and everything below it. */
export function roleHasRecursiveAccess(role: Role, key: string, write: boolean): boolean {
  if (role.name === ROOT) return true;
  return patterns(role.kv, write).some((p) => prefixMatch(p, key));
}

/** Go's sort.Strings: by UTF-8 bytes (JavaScript's default sort compares UTF-16 units). */
export function goSorted(values: Iterable<string>): string[] {
  return [...values].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}
