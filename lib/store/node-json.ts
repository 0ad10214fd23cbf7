// Nodes as etcd prints them (its NodeExtern): property order key, value|dir,
// expiration, ttl, nodes, modifiedIndex, createdIndex, with Go's omitempty
// (no ttl when it is 0, no nodes when there are none to show).

import type { NodeJSON } from './event.js';
import { Node } from './node.js';
import { childKey, isHiddenName, sortByKey } from './path.js';

/**
 * A time as Go's time.Time marshals to JSON (RFC 3339 in UTC, fraction with
 * its trailing zeros dropped).
 */
export function formatExpiration(ms: number): string {
  const iso = new Date(ms).toISOString();
  const dot = iso.lastIndexOf('.');
  let end = iso.length - 1; // before the 'Z'
  while (end > dot + 1 && iso.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (end === dot + 1) end = dot;
  return iso.slice(0, end) + 'Z';
}

/**
 * Seconds left until `deadline` as etcd computes them: rounded up while time
 * is left, truncated towards zero once it has passed.
 */
export function ttlSeconds(deadline: number, now: number): number {
  const left = deadline - now;
  const whole = Math.trunc(left / 1000) + 0; // + 0 turns -0 into 0
  return left % 1000 > 0 ? whole + 1 : whole;
}

/** One node without its children (etcd's Repr(false, false)). */
export function nodeJSON(n: Node, key: string, now: number): NodeJSON {
  return finish(n, key, null, now);
}

/**
 * A node as a GET shows it: a directory lists its children (hidden ones
 * left out), their subtrees too when `recursive`, each level sorted by key
 * when `sorted`. Built without recursion, as trees can be deep.
 */
export function listingJSON(top: Node, key: string, recursive: boolean, sorted: boolean, now: number): NodeJSON {
  if (top.children === null) return finish(top, key, null, now);
  const stack: Frame[] = [{ node: top, key, nodes: [], iter: top.children.values() }];
  for (;;) {
    const f = stack[stack.length - 1]!;
    const r = f.iter.next();
    if (r.done === true) {
      stack.pop();
      if (sorted) sortByKey(f.nodes);
      const json = finish(f.node, f.key, f.nodes, now);
      if (stack.length === 0) return json;
      stack[stack.length - 1]!.nodes.push(json);
      continue;
    }
    const child = r.value;
    if (isHiddenName(child.name)) continue;
    const ck = childKey(f.key, child.name);
    if (recursive && child.children !== null)
      stack.push({ node: child, key: ck, nodes: [], iter: child.children.values() });
    else f.nodes.push(finish(child, ck, null, now));
  }
}

interface Frame {
  node: Node;
  key: string;
  nodes: NodeJSON[];
  iter: Iterator<Node>;
}

function finish(n: Node, key: string, nodes: NodeJSON[] | null, now: number): NodeJSON {
  const value = n.children === null ? n.value : undefined;
  const deadline = n.expiry === null ? null : n.expiry.deadline;
  return makeNodeJSON(key, n.children !== null, value, deadline, now, nodes, n.modifiedIndex, n.createdIndex);
}

/** A NodeJSON from its parts; events use it directly where their node differs from the tree's. */
export function makeNodeJSON(
  key: string,
  dir: boolean,
  value: string | undefined,
  deadline: number | null,
  now: number,
  nodes: NodeJSON[] | null,
  modifiedIndex: number,
  createdIndex: number,
): NodeJSON {
  const out = { key } as NodeJSON;
  if (value !== undefined) out.value = value;
  if (dir) out.dir = true;
  if (deadline !== null) {
    out.expiration = formatExpiration(deadline);
    const ttl = ttlSeconds(deadline, now);
    if (ttl !== 0) out.ttl = ttl;
  }
  if (nodes !== null && nodes.length > 0) out.nodes = nodes;
  out.modifiedIndex = modifiedIndex;
  out.createdIndex = createdIndex;
  return out;
}
