import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../lib/transport/backoff.js';

const fixed = (r: number) => () => r;

test('the delay doubles from the initial one up to the maximum', () => {
  const b = new Backoff({ initialMs: 50, maxMs: 2000, jitter: 0, random: fixed(0.9) });
  assert.deepStrictEqual(
    Array.from({ length: 8 }, () => b.next()),
    [50, 100, 200, 400, 800, 1600, 2000, 2000],
  );
});

test('jitter stays within its fraction of the delay on both sides', () => {
  const low = new Backoff({ initialMs: 100, maxMs: 100, jitter: 0.2, random: fixed(0) });
  const high = new Backoff({ initialMs: 100, maxMs: 100, jitter: 0.2, random: fixed(0.999999) });
  const wild = new Backoff({ initialMs: 100, maxMs: 100, jitter: 0.2, random: fixed(7) });
  assert.equal(low.next(), 80);
  assert.equal(high.next(), 120);
  assert.equal(wild.next(), 120);
});

test('reset starts over from the initial delay', () => {
  const b = new Backoff({ initialMs: 10, maxMs: 1000, jitter: 0, random: fixed(0) });
  b.next();
  b.next();
  b.reset();
  assert.equal(b.next(), 10);
});
