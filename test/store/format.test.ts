// The small pieces that must match Go exactly: path cleaning, key order,
// time printing and the ttl arithmetic.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatExpiration, ttlSeconds } from '../../lib/store/node-json.js';
import { cleanPath, compareKeys } from '../../lib/store/path.js';

test('cleanPath keeps clean paths as they are', () => {
  for (const p of ['/', '/a', '/a/b', '/a/.hidden', '/a/..b', '/_x']) assert.equal(cleanPath(p), p);
});

test('cleanPath follows Go path.Clean of "/" + path', () => {
  const cases: [string, string][] = [
    ['', '/'],
    ['a', '/a'],
    ['//a//b//', '/a/b'],
    ['/a/./b', '/a/b'],
    ['/a/b/..', '/a'],
    ['/../..', '/'],
    ['/a/../../b', '/b'],
    ['.', '/'],
    ['/a/.', '/a'],
  ];
  for (const [input, want] of cases) assert.equal(cleanPath(input), want, input);
});

test('compareKeys orders by UTF-8 bytes, astral characters after U+FFFF', () => {
  assert.ok(compareKeys('/a', '/b') < 0);
  assert.ok(compareKeys('/a', '/a/b') < 0);
  assert.ok(compareKeys('/\uFFFF', '/\u{10000}') < 0);
  assert.equal(compareKeys('/x', '/x'), 0);
});

test('formatExpiration prints RFC 3339 UTC and drops trailing zeros of the fraction', () => {
  assert.equal(formatExpiration(Date.UTC(2026, 10, 27, 1, 53, 31, 123)), '2026-11-27T01:53:31.123Z');
  assert.equal(formatExpiration(Date.UTC(2026, 10, 27, 1, 53, 31, 100)), '2026-11-27T01:53:31.1Z');
  assert.equal(formatExpiration(Date.UTC(2026, 10, 27, 1, 53, 31, 0)), '2026-11-27T01:53:31Z');
});

test('ttlSeconds rounds time left up', () => {
  assert.equal(ttlSeconds(10_000, 0), 10);
  assert.equal(ttlSeconds(10_000, 1), 10);
  assert.equal(ttlSeconds(10_000, 999), 10);
  assert.equal(ttlSeconds(10_000, 1000), 9);
});

test('ttlSeconds truncates overdue time towards zero', () => {
  assert.equal(ttlSeconds(0, 0), 0);
  assert.equal(ttlSeconds(0, 999), 0);
  assert.equal(Object.is(ttlSeconds(0, 999), 0), true);
  assert.equal(ttlSeconds(0, 2500), -2);
});
