// A digest of the whole tree, to tell whether two members hold the same
// state at the same index: every node in key order (depth first, the names
// of each directory sorted), with its key, kind, value, TTL deadline and
// indexes. The root and the counters are left out: a failed request changes
// counters, not the state. SHA-256 from node:crypto (no hand-written hash).

import { createHash, type Hash } from 'node:crypto';
import type { Node } from './node.js';
import { childKey } from './path.js';

/** One node as hashed: JSON keeps the fields apart whatever bytes keys and values hold. */
function record(n: Node, key: string): string {
  return JSON.stringify([
    key,
    n.children !== null,
    n.value,
    n.expiry === null ? null : n.expiry.deadline,
    n.createdIndex,
    n.modifiedIndex,
  ]);
}

/** Visits every node but the root in key order with its key; stops when visit returns false. */
function walk(root: Node, visit: (n: Node, key: string) => boolean): void {
  const stack: { node: Node; key: string }[] = [];
  const pushChildren = (children: Map<string, Node>, key: string): void => {
    const sorted = [...children.entries()].sort((a, b) => (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
    for (const [name, node] of sorted) stack.push({ node, key: childKey(key, name) });
  };
  if (root.children !== null) pushChildren(root.children, '/');
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { node, key } = top;
    if (!visit(node, key)) return;
    if (node.children !== null) pushChildren(node.children, key);
  }
}

/** The tree's SHA-256, hex. */
export function treeHash(root: Node): string {
  const h: Hash = createHash('sha256');
  walk(root, (n, key) => {
    h.update(record(n, key));
    h.update('\n');
    return true;
  });
  return h.digest('hex');
}

export interface DigestPage {
  /** [key, first 16 hex digits of the node's SHA-256], in key order. */
  readonly digests: [string, string][];
  /** Whether nodes follow the page. */
  readonly more: boolean;
}

/** Digests of the nodes from position `offset` in key order, at most `limit`: to find the first node two trees disagree on. */
export function treeDigests(root: Node, offset: number, limit: number): DigestPage {
  const digests: [string, string][] = [];
  let position = 0;
  let more = false;
  walk(root, (n, key) => {
    if (position++ < offset) return true;
    if (digests.length === limit) {
      more = true;
      return false;
    }
    digests.push([key, createHash('sha256').update(record(n, key)).digest('hex').slice(0, 16)]);
    return true;
  });
  return { digests, more };
}
