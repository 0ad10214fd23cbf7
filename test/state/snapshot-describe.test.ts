import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asIndex, asTerm } from '../../lib/raft/types.js';
import { encodeMembershipChange } from '../../lib/proposal/index.js';
import { describeSnapshotData, StateMachine } from '../../lib/state/index.js';

function snapshotData(): Buffer {
  const sm = new StateMachine();
  sm.apply({
    term: asTerm(1),
    index: asIndex(1),
    type: 'confChange',
    data: encodeMembershipChange({
      type: 'add',
      id: 'a1',
      name: 'm1',
      peerURLs: ['http://127.0.0.1:2380'],
      origin: '',
      seq: 0,
    }),
  });
  for (const [path, dir] of [
    ['/b/x', false],
    ['/a', false],
    ['/_hidden', false],
    ['/d', true],
  ] as const) {
    sm.store.apply({ op: 'put', path, value: dir ? '' : 'v', dir, ttl: null, refresh: false }, 0);
  }
  return sm.snapshotData();
}

test('a snapshot is described by its key count, members and store index', () => {
  const d = describeSnapshotData(snapshotData());
  assert.equal(d.keys, 5);
  assert.equal(d.members, 1);
  assert.equal(d.storeIndex, 4);
});

test('a snapshot lists every key and directory, hidden ones included, sorted', () => {
  assert.deepEqual([...describeSnapshotData(snapshotData()).list()], ['/_hidden', '/a', '/b/', '/b/x', '/d/']);
});
