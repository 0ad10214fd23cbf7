// kvctl backup: the newest snapshot and every log segment are copied, nothing
// else, and a destination that already holds files is refused.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { backupDataDir } from '../../lib/client/ctl/backup.js';
import { kvctl } from './support.js';

const scratch = mkdtempSync(join(tmpdir(), 'kvctl-backup-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;

/** A member data dir with two snapshots, a temporary snapshot file and three segments. */
function dataDir(): string {
  const dir = join(scratch, `data${++n}`);
  mkdirSync(join(dir, 'member', 'snap'), { recursive: true });
  mkdirSync(join(dir, 'member', 'wal'), { recursive: true });
  writeFileSync(join(dir, 'member', 'snap', '0000000000000001-0000000000000010.snap'), 'old snapshot');
  writeFileSync(join(dir, 'member', 'snap', '0000000000000002-0000000000000020.snap'), 'new snapshot');
  writeFileSync(join(dir, 'member', 'snap', '0000000000000002-0000000000000030.snap.tmp'), 'being written');
  for (let i = 0; i < 3; i++)
    writeFileSync(join(dir, 'member', 'wal', `000000000000000${i}-00000000000000${i}0.seg`), `segment ${i}`);
  return dir;
}

describe('kvctl backup', () => {
  test('copies the newest snapshot and every segment, byte for byte', async () => {
    const src = dataDir();
    const dst = join(scratch, `backup${n}`);
    assert.deepEqual(await kvctl(['backup', '--data-dir', src, '--backup-dir', dst]), {
      code: 0,
      stdout: '',
      stderr: '',
    });
    assert.deepEqual(readdirSync(join(dst, 'member', 'snap')), ['0000000000000002-0000000000000020.snap']);
    assert.equal(
      readFileSync(join(dst, 'member', 'snap', '0000000000000002-0000000000000020.snap'), 'utf8'),
      'new snapshot',
    );
    const segs = readdirSync(join(dst, 'member', 'wal')).sort();
    assert.deepEqual(segs, readdirSync(join(src, 'member', 'wal')).sort());
    for (const s of segs)
      assert.equal(
        readFileSync(join(dst, 'member', 'wal', s), 'utf8'),
        readFileSync(join(src, 'member', 'wal', s), 'utf8'),
      );
  });

  test('a member without a snapshot yet is copied as its segments', async () => {
    const src = dataDir();
    rmSync(join(src, 'member', 'snap'), { recursive: true });
    const dst = join(scratch, `backup${n}`);
    assert.equal((await kvctl(['backup', '--data-dir', src, '--backup-dir', dst])).code, 0);
    assert.deepEqual(readdirSync(join(dst, 'member', 'snap')), []);
    assert.equal(readdirSync(join(dst, 'member', 'wal')).length, 3);
  });

  test('--wal-dir and --backup-wal-dir move the segments', async () => {
    const src = dataDir();
    const dst = join(scratch, `backup${n}`);
    const wal = join(scratch, `wal${n}`);
    assert.equal(
      (
        await kvctl([
          'backup',
          '--data-dir',
          src,
          '--backup-dir',
          dst,
          '--wal-dir',
          join(src, 'member', 'wal'),
          '--backup-wal-dir',
          wal,
        ])
      ).code,
      0,
    );
    assert.equal(readdirSync(wal).length, 3);
  });

  test('refuses a destination that already holds a backup', async () => {
    const src = dataDir();
    const dst = join(scratch, `backup${n}`);
    await kvctl(['backup', '--data-dir', src, '--backup-dir', dst]);
    const r = await kvctl(['backup', '--data-dir', src, '--backup-dir', dst]);
    assert.deepEqual(r, { code: 1, stdout: '', stderr: `Error:  ${join(dst, 'member', 'snap')} is not empty\n` });
  });

  test('refuses a directory that is not a member data dir', async () => {
    const r = await kvctl(['backup', '--data-dir', join(scratch, 'nothing'), '--backup-dir', join(scratch, 'b')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error:  .*nothing\/member\/wal: no such directory/);
  });

  test('a long copy reports files, bytes and rate every interval', () => {
    const src = join(scratch, `data${++n}`);
    mkdirSync(join(src, 'member', 'snap'), { recursive: true });
    mkdirSync(join(src, 'member', 'wal'), { recursive: true });
    const MiB = 1 << 20;
    writeFileSync(join(src, 'member', 'snap', '0000000000000001-0000000000000010.snap'), Buffer.alloc(MiB));
    for (let i = 0; i < 2; i++)
      writeFileSync(join(src, 'member', 'wal', `000000000000000${i}-00000000000000${i}1.seg`), Buffer.alloc(2 * MiB));
    const lines: string[] = [];
    let clock = 0;
    // Every 1 MiB chunk takes a second on this clock; a line at most every two seconds.
    backupDataDir(
      { dataDir: src, backupDir: join(scratch, `backup${n}`) },
      { intervalMs: 2000, report: (l) => lines.push(l), now: () => (clock += 1000) },
    );
    assert.deepEqual(lines, [
      'backup: 1 of 3 files, 2.0 MiB of 5.0 MiB copied (1.0 MiB/s)',
      'backup: 2 of 3 files, 4.0 MiB of 5.0 MiB copied (1.0 MiB/s)',
    ]);
  });

  test('needs both --data-dir and --backup-dir', async () => {
    assert.deepEqual(await kvctl(['backup', '--data-dir', '/x']), {
      code: 1,
      stdout: '',
      stderr: 'Error:  --data-dir and --backup-dir are required\n',
    });
  });
});
