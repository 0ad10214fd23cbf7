// The WAL checks what it is asked to write against what it holds, and what
// it read back against what raft could have written: a violation is a bug,
// and stops the member (AssertionFailure) rather than reach the disk or raft.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssertionFailure } from '../../lib/assert.js';
import { asIndex } from '../../lib/raft/types.js';
import { Wal } from '../../lib/storage/index.js';
import { dataDir, entries, entry, hardState, walOptions } from './helpers.js';

const broken = (pattern: RegExp) => (e: unknown) => e instanceof AssertionFailure && pattern.test(e.message);

test('an entry of an older term after one of a newer term is refused before it is written', (t) => {
  const wal = Wal.create(dataDir(t), walOptions());
  t.after(() => wal.close());
  wal.append(entries(1, 3, 2), hardState(2, 0));
  assert.throws(() => wal.append([entry(4, 1)], null), broken(/entry 4 of term 1 follows one of term 2/));
});

test('a commit index that goes back is refused before it is written', (t) => {
  const wal = Wal.create(dataDir(t), walOptions());
  t.after(() => wal.close());
  wal.append(entries(1, 3), hardState(1, 3));
  assert.throws(() => wal.append([], hardState(1, 2)), broken(/commit index 2 after 3/));
});

test('a hard state whose term goes back is refused before it is written', (t) => {
  const wal = Wal.create(dataDir(t), walOptions());
  t.after(() => wal.close());
  wal.append(entries(1, 1), hardState(3, 1));
  assert.throws(() => wal.append([], hardState(2, 1)), broken(/hard state term 2 after 3/));
});

test('replacing a committed entry is refused before it is written', (t) => {
  const wal = Wal.create(dataDir(t), walOptions());
  t.after(() => wal.close());
  wal.append(entries(1, 3), hardState(1, 3));
  assert.throws(() => wal.append([entry(3, 2)], hardState(2, 3)), broken(/entry 3 would replace a committed entry/));
});

test('replacing entries from an index on (a new leader) is no violation', (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append(entries(1, 5, 1), hardState(1, 2));
  wal.append(entries(4, 6, 2), hardState(2, 2));
  wal.close();
  const { wal: reopened, recovered } = Wal.open(dir, asIndex(0), walOptions());
  reopened.close();
  assert.deepEqual(
    recovered.entries.map((e) => [e.index, e.term]),
    [
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 2],
      [5, 2],
      [6, 2],
    ],
  );
});
