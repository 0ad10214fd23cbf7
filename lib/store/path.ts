// Key paths as etcd's v2 store handles them: every path is cleaned the way Go's
// path.Clean(path.Join("/", p)) does it, and keys sort in Go's byte order.

/** Go's path.Clean(path.Join("/", p)): the one spelling of a key the tree uses. */
export function cleanPath(p: string): string {
  if (isClean(p)) return p;
  const out: string[] = [];
  let start = 0;
  while (start <= p.length) {
    let end = p.indexOf('/', start);
    if (end === -1) end = p.length;
    const seg = p.slice(start, end);
    if (seg === '..') out.pop();
    else if (seg !== '' && seg !== '.') out.push(seg);
    start = end + 1;
  }
  return '/' + out.join('/');
}

// Most paths arrive clean; checking is cheaper than rebuilding them.
function isClean(p: string): boolean {
  if (p.length === 0 || p.charCodeAt(0) !== 47 /* / */) return false;
  if (p.length === 1) return true;
  if (p.charCodeAt(p.length - 1) === 47) return false;
  if (p.includes('//')) return false;
  if (!p.includes('/.')) return true;
  return !/\/\.\.?(?:\/|$)/.test(p);
}

/** The key of a child named `name` under the directory keyed `dir`. */
export function childKey(dir: string, name: string): string {
  return dir.length === 1 ? '/' + name : dir + '/' + name;
}

/** True when `name` hides a node from directory listings (etcd: a leading '_'). */
export function isHiddenName(name: string): boolean {
  return name.charCodeAt(0) === 95; /* _ */
}

// UTF-16 sorts surrogate pairs (code points above U+FFFF) below U+E000..U+FFFF,
// Go compares UTF-8 bytes, where they sort above.
const SURROGATE = /[\ud800-\udfff]/;

/** Go's string comparison (UTF-8 byte order) of two keys. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && x < 0xe000) x += 0x2800;
    if (y >= 0xd800 && y < 0xe000) y += 0x2800;
    return x - y;
  }
  return a.length - b.length;
}

/** Sorts items by key in Go's byte order; the native comparison is used when no key needs more. */
export function sortByKey<T extends { key: string }>(items: T[]): void {
  let plain = true;
  for (const it of items) {
    if (SURROGATE.test(it.key)) {
      plain = false;
      break;
    }
  }
  if (plain) items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  else items.sort((a, b) => compareKeys(a.key, b.key));
}
