import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeClusterId, computeMemberId } from '../../lib/server/ids.js';

// Figures read off a real etcd 3.4 started with --name ref
// --initial-advertise-peer-urls http://127.0.0.1:22380 and the default token.
test('member id is the one etcd computes for the same peer URLs and token', () => {
  assert.equal(computeMemberId(['http://127.0.0.1:22380'], 'etcd-cluster'), '9e737febb6b99eee');
});

test('cluster id is the one etcd computes for the same member ids', () => {
  assert.equal(computeClusterId([computeMemberId(['http://127.0.0.1:22380'], 'etcd-cluster')]), 'c8730d66636ff140');
});

test('member id does not depend on the order of peer URLs', () => {
  assert.equal(computeMemberId(['http://a:1', 'http://b:2'], 't'), computeMemberId(['http://b:2', 'http://a:1'], 't'));
});

test('a member added at runtime gets a different id from the same URLs at another time', () => {
  assert.notEqual(computeMemberId(['http://a:1'], 't', 1000), computeMemberId(['http://a:1'], 't', 1001));
});

test('cluster id does not depend on the order of member ids', () => {
  const a = computeMemberId(['http://a:1'], 't');
  const b = computeMemberId(['http://b:1'], 't');
  assert.equal(computeClusterId([a, b]), computeClusterId([b, a]));
});
