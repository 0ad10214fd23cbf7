import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogTracker } from '../../lib/storage/log-tracker.js';

function tracker(terms: number[], base = 0): LogTracker {
  const t = new LogTracker(base);
  terms.forEach((term, i) => t.append(base + i + 1, term));
  return t;
}

test('termAt answers for entries after base and nothing else', () => {
  const t = tracker([1, 1, 2, 2, 3], 10);
  assert.deepEqual(
    [10, 11, 12, 13, 15, 16].map((i) => t.termAt(i)),
    [undefined, 1, 1, 2, 3, undefined],
  );
});

test('appending at or before the last index replaces the suffix', () => {
  const t = tracker([1, 1, 1, 1]);
  t.append(3, 2);
  assert.equal(t.last, 3);
  assert.deepEqual(
    [1, 2, 3, 4].map((i) => t.termAt(i)),
    [1, 1, 2, undefined],
  );
});

test('appending at or before base forgets everything after the new entry', () => {
  const t = tracker([1, 1], 5);
  t.append(4, 3);
  assert.equal(t.base, 3);
  assert.equal(t.last, 4);
  assert.equal(t.termAt(4), 3);
});

test('a gap is reported with the index it would follow', () => {
  const t = tracker([1, 1]);
  assert.equal(t.gapBefore(3), null);
  assert.equal(t.gapBefore(1), null);
  assert.equal(t.gapBefore(4), 2);
});

test('a snapshot resets the log when it is beyond the end or its term differs, not when the entry matches or is unknown', () => {
  const t = tracker([1, 1, 2, 2], 10);
  assert.equal(t.snapshotResetsLog(13, 2), false);
  assert.equal(t.snapshotResetsLog(13, 3), true);
  assert.equal(t.snapshotResetsLog(15, 2), true);
  assert.equal(t.snapshotResetsLog(9, 7), false);
});

test('resetTo leaves an empty log that continues after the snapshot', () => {
  const t = tracker([1, 1, 1]);
  t.resetTo(100);
  assert.equal(t.last, 100);
  assert.equal(t.gapBefore(101), null);
  assert.equal(t.gapBefore(102), 100);
  assert.equal(t.termAt(100), undefined);
});
