import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asIndex } from '../../lib/raft/types.js';
import { nodeFileIo, type FileIo } from '../../lib/storage/file-io.js';
import { StorageError, Wal } from '../../lib/storage/index.js';
import { dataDir, entries, entry, hardState, plain, walOptions } from './helpers.js';

/** node:fs, except that the chosen call fails with the given errno code once armed. */
function faultyIo(call: keyof FileIo, code: string): { io: FileIo; arm(): void } {
  let armed = false;
  const fail = () => {
    const err = new Error(`${code}: injected ${call} failure`) as NodeJS.ErrnoException;
    err.code = code;
    throw err;
  };
  const io: FileIo = {
    writeSync: (...a) => (armed && call === 'writeSync' ? fail() : nodeFileIo.writeSync(...a)),
    fdatasyncSync: (fd) => (armed && call === 'fdatasyncSync' ? fail() : nodeFileIo.fdatasyncSync(fd)),
    fsyncSync: (fd) => (armed && call === 'fsyncSync' ? fail() : nodeFileIo.fsyncSync(fd)),
  };
  return { io, arm: () => void (armed = true) };
}

const isIo = (e: unknown) => e instanceof StorageError && e.code === 'IO';

test('an fdatasync failure (EIO) throws IO and every later append is refused', (t) => {
  const dir = dataDir(t);
  const { io, arm } = faultyIo('fdatasyncSync', 'EIO');
  const wal = Wal.create(dir, walOptions({ io }));
  wal.append(entries(1, 3), hardState(1, 1));
  arm();
  assert.throws(
    () => wal.append([entry(4)], null),
    (e: unknown) => isIo(e) && /EIO/.test((e as Error).message),
  );
  assert.throws(
    () => wal.append([entry(4)], null),
    (e: unknown) => isIo(e) && /refuses writes/.test((e as Error).message),
  );
  assert.throws(() => wal.markSnapshot({ index: asIndex(1), term: 1 as never, conf: { voters: [] } }), isIo);
  wal.close();
});

test('a write failure (ENOSPC) throws IO and later appends are refused even once the disk recovers', (t) => {
  const dir = dataDir(t);
  let full = false;
  const io: FileIo = {
    ...nodeFileIo,
    writeSync: (...a) => {
      if (full) {
        const err = new Error('ENOSPC: no space left on device') as NodeJS.ErrnoException;
        err.code = 'ENOSPC';
        throw err;
      }
      return nodeFileIo.writeSync(...a);
    },
  };
  const wal = Wal.create(dir, walOptions({ io }));
  wal.append(entries(1, 2), null);
  full = true;
  assert.throws(
    () => wal.append([entry(3)], null),
    (e: unknown) => isIo(e) && /ENOSPC/.test((e as Error).message),
  );
  full = false;
  assert.throws(() => wal.append([entry(3)], null), isIo);
  wal.close();
});

test('a failure while rolling to a new segment refuses later appends', (t) => {
  const dir = dataDir(t);
  const { io, arm } = faultyIo('fsyncSync', 'EIO');
  const wal = Wal.create(dir, walOptions({ io, segmentSize: 4096 }));
  for (let i = 1; i <= 15; i++) wal.append([entry(i, 1, 300)], null);
  arm();
  let failedAt = 0;
  for (let i = 16; i <= 40 && failedAt === 0; i++) {
    try {
      wal.append([entry(i, 1, 300)], null);
    } catch (err) {
      assert.ok(isIo(err));
      failedAt = i;
    }
  }
  assert.ok(failedAt > 0, 'a roll happened and failed');
  assert.throws(() => wal.append([entry(failedAt, 1, 300)], null), isIo);
  wal.close();
});

test('after a failed fdatasync a restart recovers every acknowledged entry', (t) => {
  const dir = dataDir(t);
  const { io, arm } = faultyIo('fdatasyncSync', 'EIO');
  const wal = Wal.create(dir, walOptions({ io }));
  wal.append(entries(1, 5), hardState(1, 5));
  arm();
  assert.throws(() => wal.append(entries(6, 8), null), isIo);
  wal.close();
  const { wal: again, recovered } = Wal.open(dir, asIndex(0), walOptions());
  again.close();
  assert.deepEqual(plain(recovered.entries.slice(0, 5)), plain(entries(1, 5)));
});

test('a flush failure (EIO) on the thread pool rejects with IO and every later append is refused', async (t) => {
  const dir = dataDir(t);
  let broken = false;
  const io: FileIo = {
    ...nodeFileIo,
    fdatasync: (fd) => {
      if (!broken) return nodeFileIo.fdatasync!(fd);
      const err = new Error('EIO: injected fdatasync failure') as NodeJS.ErrnoException;
      err.code = 'EIO';
      return Promise.reject(err);
    },
  };
  const wal = Wal.create(dir, walOptions({ io }));
  wal.append(entries(1, 3), hardState(1, 1), false);
  await wal.flush();
  wal.append([entry(4)], null, false);
  broken = true;
  await assert.rejects(wal.flush(), (e: unknown) => isIo(e) && /EIO/.test((e as Error).message));
  assert.throws(
    () => wal.append([entry(5)], null),
    (e: unknown) => isIo(e) && /refuses writes/.test((e as Error).message),
  );
  wal.close();
});

test('a flushed batch survives a restart and counts as one fsync', async (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  const before = wal.stats().fsyncs;
  wal.append(entries(1, 5), hardState(1, 5), false);
  await wal.flush();
  assert.equal(wal.stats().fsyncs, before + 1);
  await wal.flush();
  assert.equal(wal.stats().fsyncs, before + 1, 'nothing new to flush');
  wal.close();
  const { wal: reopened, recovered } = Wal.open(dir, asIndex(0), walOptions());
  assert.deepEqual(
    recovered.entries.map((e) => e.index),
    [1, 2, 3, 4, 5],
  );
  reopened.close();
});
