// The start points of replays are read from the data dir once and kept
// until its snapshot or segment directory changes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { StartPoints } from '../../lib/history/start-points.js';
import { historyCodec } from '../../lib/state/index.js';
import { snapDir, walDir } from '../../lib/storage/index.js';
import { LogFixture } from './fixture.js';

function put(f: LogFixture, i: number): void {
  f.apply({ op: 'put', path: `/k${i % 7}`, value: `${i}`, dir: false, ttl: null, refresh: false });
}

/** Sets both directories' modification time `offsetMs` from now. */
function touchDirs(f: LogFixture, offsetMs: number): void {
  const at = new Date(Date.now() + offsetMs);
  for (const dir of [walDir(f.dir), snapDir(f.dir)]) fs.utimesSync(dir, at, at);
}

async function logWithSnapshot(t: import('node:test').TestContext): Promise<LogFixture> {
  const f = new LogFixture(t);
  for (let i = 0; i < 50; i++) put(f, i);
  await f.snapshot();
  for (let i = 50; i < 80; i++) put(f, i);
  return f;
}

describe('start points', () => {
  it('are read once while neither directory changes', async (t) => {
    const f = await logWithSnapshot(t);
    touchDirs(f, -60_000);
    const points = new StartPoints(f.dir, historyCodec);
    const first = points.list();
    assert.deepEqual(
      first.map((p) => p.storeIndex),
      [0, 50],
    );
    assert.deepEqual(points.list(), first);
    assert.equal(points.reads, 1);
  });

  it('are read again once a snapshot is added', async (t) => {
    const f = await logWithSnapshot(t);
    touchDirs(f, -60_000);
    const points = new StartPoints(f.dir, historyCodec);
    points.list();
    await f.snapshot();
    assert.deepEqual(
      points.list().map((p) => p.storeIndex),
      [0, 50, 80],
    );
    assert.equal(points.reads, 2);
  });

  it('are not kept when a directory changed too recently for its time stamp to show a further change', async (t) => {
    const f = await logWithSnapshot(t);
    touchDirs(f, 10_000);
    const points = new StartPoints(f.dir, historyCodec);
    points.list();
    points.list();
    assert.equal(points.reads, 2);
  });
});
