// segdump history: every change to a key the committed log records, as the
// events a store that kept every event in memory holds for it.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { matchesWatch, type Event } from '../../lib/store/index.js';
import { main } from '../../tools/segdump.js';
import { LogFixture, random, randomRequest, T0 } from '../history/fixture.js';

async function segdump(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

interface Recorded {
  readonly event: Event;
  readonly refresh: boolean;
}

/** A fixture whose reference store's events are all recorded, refreshes included. */
function recorded(t: TestContext): { f: LogFixture; events: Recorded[] } {
  const f = new LogFixture(t);
  const events: Recorded[] = [];
  f.reference.observe((event, refresh) => events.push({ event, refresh }));
  return { f, events };
}

/** What segdump history --json prints for a change, from the reference's event. */
function expectedLine(r: Recorded): Record<string, unknown> {
  const n = r.event.node;
  const prev = r.event.prevNode;
  return {
    index: n.modifiedIndex,
    action: r.event.action,
    ...(r.refresh && { refresh: true }),
    key: n.key,
    ...(n.dir === true && { dir: true }),
    ...(n.value !== undefined && { value: n.value }),
    ...(n.expiration !== undefined && { expiration: n.expiration }),
    ...(prev !== undefined && {
      prevNode: { ...(prev.value !== undefined && { value: prev.value }), modifiedIndex: prev.modifiedIndex },
    }),
  };
}

const lines = (out: string): Record<string, unknown>[] =>
  out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const withoutEntryFields = ({ raftIndex: _r, time: _t, ...rest }: Record<string, unknown>) => rest;

const put = (path: string, value: string, more: Record<string, unknown> = {}) =>
  ({ op: 'put', path, value, dir: false, ttl: null, refresh: false, ...more }) as const;

test('history prints every change to a key with its index, raft index, time and etcd action', async (t) => {
  const { f, events } = recorded(t);
  f.apply(put('/k', 'a'));
  f.apply(put('/other', 'x'));
  f.apply(put('/k', 'b', { prevValue: 'a' }));
  f.apply(put('/k', 'c', { ttl: 1 }));
  f.apply({ op: 'sync' }, 2000);
  f.apply(put('/k', 'd', { prevExist: false }));
  f.apply({ op: 'delete', path: '/k', dir: false, recursive: false, prevValue: 'd' });
  const { code, out } = await segdump(['history', f.dir, '--key', '/k', '--json']);
  assert.equal(code, 0);
  const got = lines(out);
  const want = events.filter((r) => matchesWatch(r.event, '/k', false));
  assert.deepEqual(got.map(withoutEntryFields), want.map(expectedLine));
  assert.deepEqual(
    got.map((l) => l.action),
    ['set', 'compareAndSwap', 'set', 'expire', 'create', 'compareAndDelete'],
  );
  // The expiry happened at the sync entry (raft index 5), 2 s after the entry before it.
  const expired = got[3];
  assert.equal(expired?.raftIndex, 5);
  assert.equal(expired?.time, new Date(T0 + 400 + 2000).toISOString());
});

test('history --recursive adds the keys below, hidden ones included, and a deleted directory above', async (t) => {
  const { f, events } = recorded(t);
  f.apply(put('/d/a', '1'));
  f.apply(put('/d/_hidden', '2'));
  f.apply(put('/d/sub/b', '3'));
  f.apply(put('/elsewhere', '4'));
  f.apply({ op: 'delete', path: '/d', dir: true, recursive: true });
  const { code, out } = await segdump(['history', f.dir, '--key', '/d/sub', '--recursive', '--json']);
  assert.equal(code, 0);
  assert.deepEqual(
    lines(out).map((l) => [l.action, l.key]),
    [
      ['set', '/d/sub/b'],
      ['delete', '/d'],
    ],
  );
  const all = await segdump(['history', f.dir, '--key', '/d', '--recursive', '--json']);
  assert.deepEqual(
    lines(all.out).map(withoutEntryFields),
    events.filter((r) => matchesWatch(r.event, '/d', true)).map(expectedLine),
  );
});

test('history of a log that starts after a snapshot begins with the snapshot state, then every change after it', async (t) => {
  const { f, events } = recorded(t);
  const rnd = random(7);
  for (let i = 1; i <= 1000; i++) {
    f.apply(randomRequest(rnd), 300);
    if (i === 300 || i === 600 || i === 700) await f.snapshot();
  }
  const { code, out } = await segdump(['history', f.dir, '--key', '/a', '--recursive', '--json']);
  assert.equal(code, 0);
  const got = lines(out);
  const start = got.filter((l) => l.action === 'snapshot');
  const changes = got.filter((l) => l.action !== 'snapshot');
  const raftIndex = start[0]?.raftIndex as number;
  const storeIndex = start[0]?.snapshotStoreIndex as number;
  assert.ok(raftIndex > 1, 'the log was released up to the oldest snapshot kept');
  // The snapshot's state of /a and everything below it, as the tree stood at its index.
  const tree = f.treeAt(storeIndex).store;
  const below = [...tree.paths()].map((p) => p.replace(/\/$/, '')).filter((p) => p === '/a' || p.startsWith('/a/'));
  assert.ok(below.length > 0, 'the snapshot holds keys under /a');
  assert.deepEqual(
    start.map((l) => [l.key, l.value ?? null, l.index]),
    below.map((p) => {
      const n = tree.get(p, false, false, 0).node;
      return [p, n.value ?? null, n.modifiedIndex];
    }),
  );
  // Every change after it, as the reference recorded it (hidden keys, expirations, CAS/CAD, refreshes).
  const want = events.filter((r) => matchesWatch(r.event, '/a', true) && r.event.node.modifiedIndex > storeIndex);
  assert.deepEqual(changes.map(withoutEntryFields), want.map(expectedLine));
  for (const a of ['expire', 'compareAndDelete', 'compareAndSwap'])
    assert.ok(
      changes.some((l) => l.action === a),
      `a ${a} is shown`,
    );
});

test('history as text: one line per change, a heading and a summary', async (t) => {
  const { f } = recorded(t);
  f.apply(put('/k', 'one'));
  f.apply(put('/k', 'two'));
  const { code, out } = await segdump(['history', f.dir, '--key', '/k']);
  assert.equal(code, 0);
  const text = out.trimEnd().split('\n');
  assert.equal(text[0], '# the log starts at index 1: every change to /k');
  assert.match(text[1] ?? '', /^\s+INDEX\s+RAFT INDEX\s+TIME\s+ACTION\s+KEY\s+DETAILS$/);
  assert.match(text[2] ?? '', /^\s+1\s+1\s+2026-01-01T00:00:00\.100Z\s+set\s+\/k\s+value=one$/);
  assert.match(text[3] ?? '', /^\s+2\s+2\s+2026-01-01T00:00:00\.200Z\s+set\s+\/k\s+value=two prevValue=one$/);
  assert.equal(text[4], '# 2 changes; the committed log ends at raft index 2 (store index 2)');
});

test('history without --key, or with a key not starting with "/", is a usage error', async (t) => {
  const { f } = recorded(t);
  f.apply(put('/k', 'one'));
  const missing = await segdump(['history', f.dir]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /needs --key PATH/);
  const relative = await segdump(['history', f.dir, '--key', 'k']);
  assert.equal(relative.code, 2);
  assert.match(relative.err, /--key wants a key path starting with "\/"/);
});
