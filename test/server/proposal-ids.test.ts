import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ID_BLOCK, ProposalIds, type IdReservation } from '../../lib/server/proposal-ids.js';
import { CounterFile } from '../../lib/storage/index.js';

/** A reservation in memory that records every save. */
function memory(): IdReservation & { saved: number[] } {
  let stored: number | null = null;
  const saved: number[] = [];
  return {
    saved,
    load: (absent) => stored ?? absent,
    save: (next) => {
      stored = next;
      saved.push(next);
    },
  };
}

test('a new member hands out ids from 1 (0 means nobody waits), one after the other', () => {
  const ids = new ProposalIds(memory());
  assert.deepEqual([ids.next(), ids.next(), ids.next()], [1, 2, 3]);
});

test('the end of a block is on disk before any id of the block is handed out', () => {
  const r = memory();
  const ids = new ProposalIds(r);
  assert.deepEqual(r.saved, [1 + ID_BLOCK]);
  let last = 0;
  for (let k = 0; k < ID_BLOCK; k++) last = ids.next();
  assert.equal(last, ID_BLOCK);
  assert.deepEqual(r.saved, [1 + ID_BLOCK]);
  assert.equal(ids.next(), 1 + ID_BLOCK);
  assert.deepEqual(r.saved, [1 + ID_BLOCK, 1 + 2 * ID_BLOCK]);
});

test('a process started again on the same data dir (after a crash) never repeats an id of the one before', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvd-ids-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'member', 'proposal-ids');
  const before = new ProposalIds(new CounterFile(file));
  const used = new Set<number>();
  for (let k = 0; k < 1000; k++) used.add(before.next());
  // No clean close: the first process simply stops existing.
  const after = new ProposalIds(new CounterFile(file));
  for (let k = 0; k < 1000; k++) assert.ok(!used.has(after.next()));
  const third = new ProposalIds(new CounterFile(file));
  assert.ok(third.next() > Math.max(...used));
});
