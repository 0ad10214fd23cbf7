// The nodes that have a TTL, soonest deadline first. Equal deadlines are
// ordered by key, so that every member expires them in the same order.

import { Node, pathOf } from './node.js';
import { compareKeys } from './path.js';

export class TtlHeap {
  private readonly items: Node[] = [];

  get size(): number {
    return this.items.length;
  }

  top(): Node | null {
    return this.items.length > 0 ? this.items[0]! : null;
  }

  /** Adds a node whose `expiry` is set and not yet in the heap. */
  push(n: Node): void {
    const pos = this.items.length;
    this.items.push(n);
    n.expiry!.heapPos = pos;
    this.up(pos);
  }

  /** Restores the order after the node's deadline changed. */
  update(n: Node): void {
    const pos = n.expiry!.heapPos;
    this.up(pos);
    this.down(n.expiry!.heapPos);
  }

  remove(n: Node): void {
    const pos = n.expiry!.heapPos;
    const last = this.items.pop()!;
    n.expiry!.heapPos = -1;
    if (last === n) return;
    this.items[pos] = last;
    last.expiry!.heapPos = pos;
    this.up(pos);
    this.down(last.expiry!.heapPos);
  }

  private less(a: Node, b: Node): boolean {
    const da = a.expiry!.deadline;
    const db = b.expiry!.deadline;
    if (da !== db) return da < db;
    return compareKeys(pathOf(a), pathOf(b)) < 0;
  }

  private up(pos: number): void {
    const items = this.items;
    const n = items[pos]!;
    while (pos > 0) {
      const parentPos = (pos - 1) >> 1;
      const parent = items[parentPos]!;
      if (!this.less(n, parent)) break;
      items[pos] = parent;
      parent.expiry!.heapPos = pos;
      pos = parentPos;
    }
    items[pos] = n;
    n.expiry!.heapPos = pos;
  }

  private down(pos: number): void {
    const items = this.items;
    const len = items.length;
    const n = items[pos]!;
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= len) break;
      const right = left + 1;
      const child = right < len && this.less(items[right]!, items[left]!) ? right : left;
      if (!this.less(items[child]!, n)) break;
      items[pos] = items[child]!;
      items[pos]!.expiry!.heapPos = pos;
      pos = child;
    }
    items[pos] = n;
    n.expiry!.heapPos = pos;
  }
}
