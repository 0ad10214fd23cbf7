// Properties over random request sequences: the Store agrees with the
// reference model (results, error codes and causes, values, indexes, TTLs,
// listings, what each watcher receives), and a snapshot restored at any
// point behaves exactly like the store it was taken from.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Store, V2Error, type Event, type NodeJSON, type StoreRequest } from '../../lib/store/index.js';
import { T0 } from './helpers.js';
import { Model, type ModelEvent, type ModelNodeView } from './model.js';

const segment = fc.constantFrom('a', 'b', '_h');
const cleanPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => '/' + s.join('/'));
const anyPath = fc.oneof(
  { weight: 12, arbitrary: cleanPath },
  { weight: 1, arbitrary: fc.constant('/') },
  { weight: 1, arbitrary: cleanPath.map((p) => p.slice(1) + '/') },
  { weight: 1, arbitrary: cleanPath.map((p) => p + '/./../b') },
);
const value = fc.constantFrom('', 'x', 'y');
const ttl = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }) },
);
const rarely = fc.integer({ min: 0, max: 5 }).map((n) => n === 0);
const prevValue = fc.option(value, { nil: undefined });
const prevIndex = fc.option(fc.bigInt({ min: 0n, max: 12n }), { nil: undefined, freq: 3 });

const putReq = fc.record({
  op: fc.constant('put' as const),
  path: anyPath,
  value,
  dir: rarely,
  ttl,
  refresh: rarely,
  prevExist: fc.option(fc.boolean(), { nil: undefined }),
  prevValue,
  prevIndex,
});
const postReq = fc.record({ op: fc.constant('post' as const), path: anyPath, value, dir: rarely, ttl });
const deleteReq = fc.record({
  op: fc.constant('delete' as const),
  path: anyPath,
  dir: fc.boolean(),
  recursive: rarely,
  prevValue: fc.option(value, { nil: undefined, freq: 4 }),
  prevIndex: fc.option(fc.bigInt({ min: 0n, max: 12n }), { nil: undefined, freq: 4 }),
});
const request: fc.Arbitrary<StoreRequest> = fc.oneof(
  { weight: 6, arbitrary: putReq },
  { weight: 1, arbitrary: postReq },
  { weight: 3, arbitrary: deleteReq },
  { weight: 2, arbitrary: fc.constant({ op: 'sync' as const }) },
);
/** A request and how far the entry time moves before it (leaders' clocks may step back a little). */
const step = fc.record({
  req: request,
  dt: fc.oneof(
    { weight: 2, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: -300, max: 2500 }) },
  ),
});
const steps = fc.array(step, { maxLength: 40 });

function view(n: NodeJSON): ModelNodeView {
  const v: ModelNodeView = {
    key: n.key,
    hasExpiration: n.expiration !== undefined,
    modifiedIndex: n.modifiedIndex,
    createdIndex: n.createdIndex,
  };
  if (n.dir === true) v.dir = true;
  if (n.value !== undefined) v.value = n.value;
  if (n.ttl !== undefined) v.ttl = n.ttl;
  if (n.nodes !== undefined) v.nodes = n.nodes.map(view);
  return v;
}

function eventView(e: Event | ModelEvent): { action: string; node: ModelNodeView; prevNode?: ModelNodeView } {
  const node = 'refresh' in e ? e.node : view(e.node);
  const out: { action: string; node: ModelNodeView; prevNode?: ModelNodeView } = { action: e.action, node };
  if (e.prevNode !== undefined) out.prevNode = 'refresh' in e ? e.prevNode : view(e.prevNode);
  return out;
}

type Outcome = { ok: Event } | { err: number; cause: string; index: number } | null;

function run(s: Store, req: StoreRequest, time: number): Outcome {
  try {
    const e = s.apply(req, time);
    return e === null ? null : { ok: e };
  } catch (err) {
    if (!(err instanceof V2Error)) throw err;
    return { err: err.errorCode, cause: err.cause, index: err.index };
  }
}

/** The paths watched in the model test, with how many times a watcher there receives an event. */
const WATCHES: { path: string; recursive: boolean }[] = [
  { path: '/', recursive: true },
  { path: '/a', recursive: true },
  { path: '/a', recursive: false },
  { path: '/a/b', recursive: false },
  { path: '/_h', recursive: true },
];

function expectedDeliveries(e: ModelEvent, path: string, recursive: boolean): number {
  if (e.refresh) return 0;
  const key = e.node.key;
  let n = e.removed.includes(path) ? 1 : 0;
  const below = path === '/' ? key !== '/' : key.startsWith(path + '/');
  if (key === path) n++;
  else if (recursive && below && !('/' + key.slice(path.length)).includes('/_')) n++;
  return n;
}

/** The event etcd's history scan hands a watcher: the first at or after `since` that concerns its path. */
function historyMatch(events: ModelEvent[], path: string, recursive: boolean, since: number): ModelEvent | null {
  const prefix = path === '/' ? '/' : path + '/';
  for (const e of events) {
    if (e.node.modifiedIndex < since || e.refresh) continue;
    if (e.node.key === path || (recursive && e.node.key.startsWith(prefix))) return e;
    if ((e.action === 'delete' || e.action === 'expire') && e.prevNode?.dir === true && path.startsWith(e.prevNode.key))
      return e;
  }
  return null;
}

test('the store agrees with the reference model on every request sequence', () => {
  fc.assert(
    fc.property(steps, (seq) => {
      const s = new Store();
      const m = new Model();
      const seen = WATCHES.map((w) => {
        const got: string[] = [];
        s.watch(w.path, { recursive: w.recursive, stream: true, sinceIndex: null }, (e) =>
          got.push(`${e.action} ${e.node.key} ${e.node.modifiedIndex}`),
        );
        return got;
      });
      let time = T0;
      const shown = (req: StoreRequest) =>
        JSON.stringify(req, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      for (const { req, dt } of seq) {
        time += dt;
        const got = run(s, req, time);
        const want = m.apply(req, time);
        if (want === null || got === null) assert.equal(got, want);
        else if ('err' in want) assert.deepEqual(got, want, shown(req));
        else {
          assert.ok(got !== null && 'ok' in got, `${shown(req)} failed: ${JSON.stringify(got)}`);
          assert.deepEqual(eventView(got.ok), eventView(want.ok), shown(req));
          assert.equal(got.ok.etcdIndex, m.index);
        }
        assert.equal(s.index, m.index);
        assert.equal(s.nodeCount, m.nodes.size);
        assert.equal(s.nextExpiry(), m.nextExpiry());
      }
      assert.deepEqual(view(s.get('/', true, true, time).node), m.listing(time));
      WATCHES.forEach((w, i) => {
        const want: string[] = [];
        for (const e of m.emitted) {
          for (let k = expectedDeliveries(e, w.path, w.recursive); k > 0; k--)
            want.push(`${e.action} ${e.node.key} ${e.node.modifiedIndex}`);
        }
        assert.deepEqual(seen[i], want, `watcher ${JSON.stringify(w)}`);
        for (let since = 1; since <= m.index; since++) {
          const got: Event[] = [];
          s.watch(w.path, { recursive: w.recursive, stream: false, sinceIndex: since }, (e) => got.push(e)).cancel();
          const hit = historyMatch(m.emitted, w.path, w.recursive, since);
          assert.deepEqual(
            got.map(eventView),
            hit === null ? [] : [eventView(hit)],
            `replay ${JSON.stringify(w)} since ${since}`,
          );
        }
      });
    }),
    { numRuns: 2000 },
  );
});

test('a store restored from a snapshot at any point behaves exactly like the original', () => {
  fc.assert(
    fc.property(steps, fc.nat(), (seq, at) => {
      const split = seq.length === 0 ? 0 : at % (seq.length + 1);
      const original = new Store({ historySize: 8 });
      let time = T0;
      for (const { req, dt } of seq.slice(0, split)) run(original, req, (time += dt));
      const restored = Store.restore(original.snapshot());
      const a: string[] = [];
      const b: string[] = [];
      original.watch('/', { recursive: true, stream: true, sinceIndex: null }, (e) => a.push(JSON.stringify(e)));
      restored.watch('/', { recursive: true, stream: true, sinceIndex: null }, (e) => b.push(JSON.stringify(e)));
      for (const { req, dt } of seq.slice(split)) {
        time += dt;
        assert.deepEqual(run(restored, req, time), run(original, req, time));
      }
      assert.deepEqual(b, a);
      assert.deepEqual(restored.get('/', true, true, time), original.get('/', true, true, time));
      assert.deepEqual(restored.stats(), original.stats());
      assert.equal(restored.nextExpiry(), original.nextExpiry());
      for (let since = 1; since <= original.index; since++) {
        const opts = { recursive: true, stream: false, sinceIndex: since };
        assert.deepEqual(replay(restored, opts), replay(original, opts), `since ${since}`);
      }
    }),
    { numRuns: 500 },
  );
});

function replay(s: Store, opts: { recursive: boolean; stream: boolean; sinceIndex: number }): unknown {
  try {
    const got: Event[] = [];
    const h = s.watch('/', opts, (e) => got.push(e));
    h.cancel();
    return got;
  } catch (err) {
    return err instanceof V2Error ? err.toJSON() : err;
  }
}
