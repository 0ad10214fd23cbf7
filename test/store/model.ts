// A deliberately simple reference model of etcd's v2 store, written from
// etcd's documented behaviour: a flat map from full key to node, linear
// scans instead of a tree, a sort instead of a heap. The property tests
// check the real Store against it.

import type { StoreRequest } from '../../lib/store/index.js';

export interface ModelNode {
  dir: boolean;
  value: string;
  created: number;
  modified: number;
  deadline: number | null;
}

/** What the model predicts for one node in an event or listing. */
export interface ModelNodeView {
  key: string;
  value?: string;
  dir?: true;
  ttl?: number;
  hasExpiration: boolean;
  modifiedIndex: number;
  createdIndex: number;
  nodes?: ModelNodeView[];
}

export interface ModelEvent {
  action: string;
  node: ModelNodeView;
  prevNode?: ModelNodeView;
  /** Refresh events are not sent to watchers. */
  refresh: boolean;
  /** Keys whose watchers are told because the event removed them (delete, compareAndDelete, expire). */
  removed: string[];
}

export type ModelResult = { ok: ModelEvent } | { err: number; cause: string; index: number };

const MIN_EXPIRE = Date.UTC(2000, 0, 1);

export function clean(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '..') out.pop();
    else if (seg !== '' && seg !== '.') out.push(seg);
  }
  return '/' + out.join('/');
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i === 0 ? '/' : p.slice(0, i);
}

function ttlLeft(deadline: number, now: number): number {
  const left = deadline - now;
  return left > 0 ? Math.ceil(left / 1000) : Math.trunc(left / 1000) + 0;
}

class Fail {
  constructor(
    readonly code: number,
    readonly cause: string,
  ) {}
}

export class Model {
  index = 0;
  readonly nodes = new Map<string, ModelNode>();
  /** Every event in order, expire events included (for watcher expectations). */
  readonly emitted: ModelEvent[] = [];

  apply(req: StoreRequest, time: number): ModelResult | null {
    if (req.op === 'sync') {
      this.expire(time);
      return null;
    }
    try {
      const e = this.mutate(req, time);
      this.emitted.push(e);
      return { ok: e };
    } catch (f) {
      if (!(f instanceof Fail)) throw f;
      return { err: f.code, cause: f.cause, index: this.index };
    }
  }

  /** The node at p, or the failure etcd reports when walking to it. */
  private find(p: string): ModelNode | Fail {
    if (p === '/') return { dir: true, value: '', created: 0, modified: 0, deadline: null };
    const segs = p.split('/').slice(1);
    let at = '';
    for (const seg of segs) {
      const parent = at === '' ? '/' : at;
      if (parent !== '/' && !this.nodes.get(parent)!.dir) return new Fail(104, parent);
      at += '/' + seg;
      if (!this.nodes.has(at)) return new Fail(100, at);
    }
    return this.nodes.get(p)!;
  }

  private must(p: string): ModelNode {
    const n = this.find(p);
    if (n instanceof Fail) throw n;
    return n;
  }

  view(key: string, n: ModelNode, now: number): ModelNodeView {
    const v: ModelNodeView = {
      key,
      hasExpiration: n.deadline !== null,
      modifiedIndex: n.modified,
      createdIndex: n.created,
    };
    if (n.dir) v.dir = true;
    else v.value = n.value;
    if (n.deadline !== null && ttlLeft(n.deadline, now) !== 0) v.ttl = ttlLeft(n.deadline, now);
    return v;
  }

  private event(
    action: string,
    node: ModelNodeView,
    prevNode: ModelNodeView | undefined,
    refresh = false,
    removed: string[] = [],
  ): ModelEvent {
    const e: ModelEvent = { action, node, refresh, removed };
    if (prevNode !== undefined) e.prevNode = prevNode;
    return e;
  }

  private removeTree(p: string): string[] {
    const gone = [...this.nodes.keys()].filter((k) => k === p || k.startsWith(p + '/'));
    for (const k of gone) this.nodes.delete(k);
    return gone;
  }

  private mutate(req: Exclude<StoreRequest, { op: 'sync' }>, time: number): ModelEvent {
    if (req.op === 'post') {
      return this.create(
        clean(req.path + '/' + String(this.index + 1).padStart(20, '0')),
        req.dir,
        req.value,
        req.ttl,
        false,
        'create',
        time,
      );
    }
    if (req.op === 'delete') {
      const p = clean(req.path);
      const pv = req.prevValue ?? '';
      const pi = Number(req.prevIndex ?? 0n);
      if (pv !== '' || pi > 0) {
        const n = this.must(p);
        if (n.dir) throw new Fail(102, p === '/' ? '' : p);
        this.compare(n, pv, pi);
        const prev = this.view(p, n, time);
        this.index++;
        const gone = this.removeTree(p);
        return this.event(
          'compareAndDelete',
          { key: p, hasExpiration: false, modifiedIndex: this.index, createdIndex: n.created },
          prev,
          false,
          gone,
        );
      }
      if (p === '/') throw new Fail(107, '/');
      const n = this.must(p);
      const dirOk = req.dir || req.recursive;
      if (n.dir && !dirOk) throw new Fail(102, p);
      if (n.dir && !req.recursive && [...this.nodes.keys()].some((k) => k.startsWith(p + '/'))) throw new Fail(108, p);
      const prev = this.view(p, n, time);
      this.index++;
      const gone = this.removeTree(p);
      const node: ModelNodeView = { key: p, hasExpiration: false, modifiedIndex: this.index, createdIndex: n.created };
      if (n.dir) node.dir = true;
      return this.event('delete', node, prev, false, gone);
    }
    const p = clean(req.path);
    const pv = req.prevValue ?? '';
    const pi = Number(req.prevIndex ?? 0n);
    const compare = pv !== '' || pi > 0;
    const deadline = req.ttl === null ? null : time + req.ttl * 1000;
    if (req.prevExist === false) return this.create(p, req.dir, req.value, req.ttl, false, 'create', time);
    if (req.prevExist === true && !compare) {
      if (p === '/') throw new Fail(107, '/');
      const n = this.must(p);
      if (n.dir && req.value !== '') throw new Fail(102, p);
      const value = req.refresh ? n.value : req.value;
      const prev = this.view(p, n, time);
      this.index++;
      if (!n.dir) {
        n.value = value;
        n.modified = this.index;
      }
      n.deadline = deadline;
      const node = this.view(p, n, time);
      node.modifiedIndex = this.index;
      return this.event('update', node, prev, req.refresh);
    }
    if (compare) {
      if (p === '/') throw new Fail(107, '/');
      const n = this.must(p);
      if (n.dir) throw new Fail(102, p);
      this.compare(n, pv, pi);
      const prev = this.view(p, n, time);
      this.index++;
      n.value = req.refresh ? n.value : req.value;
      n.modified = this.index;
      n.deadline = deadline;
      return this.event('compareAndSwap', this.view(p, n, time), prev, req.refresh);
    }
    const existing = this.find(p);
    let value = req.value;
    if (existing instanceof Fail) {
      if (existing.code !== 100 || req.refresh) throw existing;
    } else if (req.refresh) {
      value = existing.value;
    }
    return this.create(p, req.dir, value, req.ttl, true, 'set', time, req.refresh);
  }

  private compare(n: ModelNode, pv: string, pi: number): void {
    const vOk = pv === '' || pv === n.value;
    const iOk = pi === 0 || pi === n.modified;
    if (vOk && iOk) return;
    const parts: string[] = [];
    if (!vOk) parts.push(`[${pv} != ${n.value}]`);
    if (!iOk) parts.push(`[${pi} != ${n.modified}]`);
    throw new Fail(101, parts.join(' '));
  }

  private create(
    p: string,
    dir: boolean,
    value: string,
    ttl: number | null,
    replace: boolean,
    action: string,
    time: number,
    refresh = false,
  ): ModelEvent {
    if (p === '/') throw new Fail(107, '/');
    let deadline = ttl === null ? null : time + ttl * 1000;
    if (deadline !== null && deadline < MIN_EXPIRE) deadline = null;
    const next = this.index + 1;
    const ancestors: string[] = [];
    for (let a = parentOf(p); a !== '/'; a = parentOf(a)) ancestors.unshift(a);
    for (const a of ancestors) {
      const n = this.nodes.get(a);
      if (n !== undefined && !n.dir) throw new Fail(104, a);
    }
    const existing = this.nodes.get(p);
    if (existing !== undefined && (!replace || existing.dir)) throw new Fail(replace ? 102 : 105, p);
    for (const a of ancestors) {
      if (!this.nodes.has(a))
        this.nodes.set(a, { dir: true, value: '', created: next, modified: next, deadline: null });
    }
    const prev = existing === undefined ? undefined : this.view(p, existing, time);
    const n: ModelNode = { dir, value: dir ? '' : value, created: next, modified: next, deadline };
    this.nodes.set(p, n);
    this.index = next;
    return this.event(action, this.view(p, n, time), prev, refresh);
  }

  private expire(time: number): void {
    const due = [...this.nodes.entries()]
      .filter(([, n]) => n.deadline !== null && n.deadline <= time)
      .sort(([ka, a], [kb, b]) => a.deadline! - b.deadline! || Buffer.compare(Buffer.from(ka), Buffer.from(kb)));
    for (const [k, n] of due) {
      if (this.nodes.get(k) !== n) continue;
      const prev = this.view(k, n, time);
      this.index++;
      const gone = this.removeTree(k);
      const node: ModelNodeView = { key: k, hasExpiration: false, modifiedIndex: this.index, createdIndex: n.created };
      if (n.dir) node.dir = true;
      this.emitted.push(this.event('expire', node, prev, false, gone));
    }
  }

  nextExpiry(): number | null {
    let min: number | null = null;
    for (const n of this.nodes.values())
      if (n.deadline !== null && (min === null || n.deadline < min)) min = n.deadline;
    return min;
  }

  /** GET / recursive sorted, as the model sees it (hidden nodes left out of listings). */
  listing(now: number): ModelNodeView {
    const build = (key: string, n: ModelNode): ModelNodeView => {
      const v = this.view(key, n, now);
      if (n.dir) {
        const prefix = key === '/' ? '/' : key + '/';
        const kids = [...this.nodes.entries()]
          .filter(
            ([k]) =>
              k.startsWith(prefix) && !k.slice(prefix.length).includes('/') && !k.slice(prefix.length).startsWith('_'),
          )
          .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
          .map(([k, c]) => build(k, c));
        if (kids.length > 0) v.nodes = kids;
      }
      return v;
    };
    return build('/', { dir: true, value: '', created: 0, modified: 0, deadline: null });
  }
}
