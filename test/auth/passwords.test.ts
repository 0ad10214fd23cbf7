// bcrypt on a worker thread: hashes verify, verified credentials are
// remembered for a bounded time and number, and the queue is bounded.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PasswordQueueFull, Passwords } from '../../lib/auth/index.js';

test('a hash verifies its password and no other', async (t) => {
  const p = new Passwords({ cost: 4 });
  t.after(() => p.close());
  const hash = await p.hash('secret');
  assert.match(hash, /^\$2[aby]\$04\$/);
  assert.equal(await p.verify('u', 'secret', hash), true);
  assert.equal(await p.verify('u', 'Secret', hash), false);
});

test('a verified credential is remembered until it expires, and a changed hash is checked again', async (t) => {
  let now = 1000;
  const p = new Passwords({ cost: 4, cacheMs: 60_000, now: () => now });
  t.after(() => p.close());
  const hash = await p.hash('secret');
  assert.equal(await p.verify('u', 'secret', hash), true);
  // A remembered credential answers without bcrypt: even a closed checker answers it.
  p.close();
  assert.equal(await p.verify('u', 'secret', hash), true);
  await assert.rejects(p.verify('u', 'secret', hash + 'x'), /closed/);
  now += 60_001;
  await assert.rejects(p.verify('u', 'secret', hash), /closed/, 'expired: bcrypt is asked again');
});

test('the cache holds at most its number of entries, forgetting the oldest', async (t) => {
  const p = new Passwords({ cost: 4, cacheEntries: 2 });
  t.after(() => p.close());
  const hash = await p.hash('pw');
  for (const user of ['a', 'b', 'c']) assert.equal(await p.verify(user, 'pw', hash), true);
  p.close();
  assert.equal(await p.verify('c', 'pw', hash), true);
  assert.equal(await p.verify('b', 'pw', hash), true);
  await assert.rejects(p.verify('a', 'pw', hash), /closed/);
});

test('past the queue limit a check is refused at once', async (t) => {
  const p = new Passwords({ cost: 4, maxQueued: 2 });
  t.after(() => p.close());
  const hash = await p.hash('pw');
  const checks = [p.verify('a', 'x1', hash), p.verify('a', 'x2', hash), p.verify('a', 'x3', hash)];
  const settled = await Promise.allSettled(checks);
  assert.deepEqual(
    settled.map((s) => s.status),
    ['fulfilled', 'fulfilled', 'rejected'],
  );
  assert.ok((settled[2] as PromiseRejectedResult).reason instanceof PasswordQueueFull);
});

test('concurrent checks of the same credentials share one bcrypt run', async (t) => {
  const p = new Passwords({ cost: 4, maxQueued: 1 });
  t.after(() => p.close());
  const hash = await p.hash('pw');
  const all = await Promise.all(Array.from({ length: 5 }, () => p.verify('a', 'pw', hash)));
  assert.deepEqual(all, [true, true, true, true, true]);
});
