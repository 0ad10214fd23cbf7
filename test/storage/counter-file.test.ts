import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { CounterFile, StorageError } from '../../lib/storage/index.js';

function dir(t: TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'kvd-counter-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('a counter file that does not exist yet reads as the given default', (t) => {
  assert.equal(new CounterFile(join(dir(t), 'member', 'c')).load(7), 7);
});

test('a saved value is read back by a new reader, and the temporary file is gone', (t) => {
  const file = join(dir(t), 'member', 'c');
  new CounterFile(file).save(2 ** 40 + 3);
  assert.equal(new CounterFile(file).load(0), 2 ** 40 + 3);
  assert.equal(readFileSync(file, 'utf8'), `${2 ** 40 + 3}\n`);
  assert.equal(existsSync(`${file}.tmp`), false);
});

test('a damaged counter file is refused as corrupt, naming the file', (t) => {
  const file = join(dir(t), 'c');
  writeFileSync(file, '12x\n');
  assert.throws(
    () => new CounterFile(file).load(0),
    (e: unknown) => e instanceof StorageError && e.code === 'CORRUPT' && e.message.includes(file),
  );
});

test('a value the codecs could not carry is neither saved nor loaded', (t) => {
  const file = join(dir(t), 'c');
  assert.throws(() => new CounterFile(file).save(2 ** 53), RangeError);
  writeFileSync(file, `${2 ** 53}\n`);
  assert.throws(() => new CounterFile(file).load(0), StorageError);
});
