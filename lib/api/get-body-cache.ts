// The JSON bodies of recent GETs of plain keys, so that reading an unchanged
// key again does not serialize it again (JSON.stringify of the value and Go's
// escaping were the largest part of a local GET's own JavaScript).
//
// Such a body is a function of the node's key, value, modifiedIndex and
// createdIndex alone (no TTL, not a directory, no previous node), and an
// entry is used only when all four are the ones it was made from: a changed,
// deleted and re-created, or expiring key can never get an old body back,
// whatever happened in between. Bounded in entries' bytes; oldest out first.

import type { Event } from '../store/index.js';
import { eventJson } from './json-out.js';

interface Entry {
  readonly value: string;
  readonly modifiedIndex: number;
  readonly createdIndex: number;
  readonly body: string;
}

/** Bodies above this size are not kept: serializing them costs little next to sending them. */
const MAX_BODY_CHARS = 16 * 1024;

function charsOf(key: string, e: Entry): number {
  return key.length + e.value.length + e.body.length;
}

export class GetBodyCache {
  private readonly entries = new Map<string, Entry>();
  private chars = 0;

  /** `budget`: the characters of keys, values and bodies kept at most. */
  constructor(private readonly budget = 4 << 20) {}

  /** The body of a GET's event, as eventJson writes it. */
  body(ev: Event): string {
    const n = ev.node;
    if (
      ev.action !== 'get' ||
      n.value === undefined ||
      n.expiration !== undefined ||
      n.dir === true ||
      n.nodes !== undefined ||
      ev.prevNode !== undefined
    )
      return eventJson(ev);
    const hit = this.entries.get(n.key);
    if (
      hit !== undefined &&
      hit.value === n.value &&
      hit.modifiedIndex === n.modifiedIndex &&
      hit.createdIndex === n.createdIndex
    )
      return hit.body;
    const body = eventJson(ev);
    if (body.length <= MAX_BODY_CHARS)
      this.keep(n.key, { value: n.value, modifiedIndex: n.modifiedIndex, createdIndex: n.createdIndex, body });
    return body;
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  private keep(key: string, entry: Entry): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.chars -= charsOf(key, old);
      this.entries.delete(key);
    }
    this.entries.set(key, entry);
    this.chars += charsOf(key, entry);
    for (const [oldest, e] of this.entries) {
      if (this.chars <= this.budget) break;
      this.entries.delete(oldest);
      this.chars -= charsOf(oldest, e);
    }
  }
}
