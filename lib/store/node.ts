// One node of the key tree. Nodes are kept small because a member holds
// millions of them: the full key is not stored but rebuilt from the parents
// when needed, and the TTL bookkeeping lives in a separate object that only
// nodes with a TTL carry.

import { childKey } from './path.js';

/** A node's TTL: its deadline (ms since the epoch) and its slot in the TTL heap. */
export interface Expiry {
  deadline: number;
  heapPos: number;
}

export class Node {
  name: string;
  parent: Node | null;
  createdIndex: number;
  modifiedIndex: number;
  /** The value of a key; '' for a directory. */
  value: string;
  /** The children of a directory by name (insertion order); null for a key. */
  children: Map<string, Node> | null;
  expiry: Expiry | null;

  constructor(name: string, parent: Node | null, index: number, value: string, children: Map<string, Node> | null) {
    this.name = name;
    this.parent = parent;
    this.createdIndex = index;
    this.modifiedIndex = index;
    this.value = value;
    this.children = children;
    this.expiry = null;
  }

  static key(name: string, parent: Node, index: number, value: string): Node {
    return new Node(name, parent, index, value, null);
  }

  static dir(name: string, parent: Node | null, index: number): Node {
    return new Node(name, parent, index, '', new Map());
  }
}

/** The node's full key, rebuilt from its ancestors. */
export function pathOf(n: Node): string {
  if (n.parent === null) return '/';
  let p = '/' + n.name;
  for (let a = n.parent; a.parent !== null; a = a.parent) p = '/' + a.name + p;
  return p;
}

/**
 * Visits `top` and everything under it children first, as etcd removes a
 * directory, without recursion (a path can be thousands of segments deep).
 * `key` is `top`'s key; visit gets each node with its key only when
 * `withKeys` is set, so a large delete does not build strings nobody reads.
 */
export function visitPostOrder(top: Node, key: string, withKeys: boolean, visit: (n: Node, key: string) => void): void {
  if (top.children === null || top.children.size === 0) {
    visit(top, key);
    return;
  }
  const nodes: Node[] = [top];
  const keys: string[] = [key];
  const iters: Iterator<Node>[] = [top.children.values()];
  while (nodes.length > 0) {
    const depth = nodes.length - 1;
    const next = iters[depth]!.next();
    if (next.done) {
      visit(nodes.pop()!, keys.pop()!);
      iters.pop();
      continue;
    }
    const child = next.value;
    const ck = withKeys ? childKey(keys[depth]!, child.name) : '';
    if (child.children === null || child.children.size === 0) {
      visit(child, ck);
    } else {
      nodes.push(child);
      keys.push(ck);
      iters.push(child.children.values());
    }
  }
}
