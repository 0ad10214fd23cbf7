import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { asIndex, asMemberId, asTerm, type Entry, type EntryType } from '../../lib/raft/types.js';
import { SnapshotStore, StorageError, Wal } from '../../lib/storage/index.js';
import { main, type SegdumpIo } from '../../tools/segdump.js';
import type { EntryDescriber, SnapshotDescriber } from '../../tools/segdump/describers.js';
import {
  dataDir,
  flipByte,
  hardState,
  lastSegment,
  recordOffsets,
  segmentPath,
  segmentPaths,
  usedBytes,
  walOptions,
  zeroRange,
} from '../storage/helpers.js';
import { first } from '../support/pick.js';

// Entry data in these tests is JSON of the request: the describer just parses it.
const describeJson: EntryDescriber = (data: Buffer, type: EntryType) =>
  type === 'normal' ? JSON.parse(data.toString()) : {};
const describeSnapshot: SnapshotDescriber = (data) => {
  const keys = JSON.parse(data.toString()) as string[];
  return { keys: keys.length, list: () => keys };
};

function request(index: number, term: number, req: Record<string, unknown>): Entry {
  return { index: asIndex(index), term: asTerm(term), type: 'normal', data: Buffer.from(JSON.stringify(req)) };
}

/** A member's data dir: 30 PUTs under /a and /b over several segments, a snapshot at 20 with its marker. */
async function fixture(t: TestContext): Promise<string> {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions({ segmentSize: 4096 }));
  wal.append([{ index: asIndex(1), term: asTerm(1), type: 'empty', data: Buffer.alloc(0) }], hardState(1, 0));
  for (let i = 2; i <= 30; i++) {
    const path = i % 2 === 0 ? `/a/k${i}` : `/b/k${i}`;
    wal.append(
      [
        request(i, 1, {
          time: '2024-05-01T10:00:00.000Z',
          method: 'PUT',
          path,
          value: `v${i}`.repeat(i > 25 ? 40 : 1),
        }),
      ],
      hardState(1, i - 1),
    );
  }
  const store = new SnapshotStore(dir);
  const snap = {
    meta: { index: asIndex(20), term: asTerm(1), conf: { voters: [asMemberId('8e9e05c52164694d')] } },
    data: Buffer.from(JSON.stringify(['/a', '/a/k2', '/b'])),
  };
  await store.save(snap);
  wal.markSnapshot(snap.meta);
  wal.close();
  return dir;
}

async function segdump(
  args: string[],
  io: Partial<SegdumpIo> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    describeEntry: describeJson,
    describeSnapshot,
    ...io,
  });
  return { code, out, err };
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

// ---- ls ----

test('ls lists every segment with its index range and record counts, and the snapshot files', async (t) => {
  const dir = await fixture(t);
  const { code, out } = await segdump(['ls', dir]);
  assert.equal(code, 0);
  const segs = segmentPaths(dir).map((p) => p.split('/').pop()!);
  for (const name of segs) assert.match(out, new RegExp(name));
  const row = lines(out)
    .find((l) => l.startsWith(first(segs)))!
    .split(/\s{2,}/);
  assert.equal(row[1], '1');
  assert.match(out, /0000000000000001-0000000000000014\.snap\s+20\s+1\s.*ok/);
  assert.match(out, /member 8e9e05c52164694d, cluster cdf818194e3a8c32/);
});

test('ls marks a corrupt segment and an invalid snapshot, and exits 1', async (t) => {
  const dir = await fixture(t);
  const seg = segmentPath(dir, 0);
  const victim = recordOffsets(dir, seg).find((r) => r.kind === 'entry' && r.index === 3)!;
  flipByte(seg, victim.offset + 20);
  flipByte(`${dir}/member/snap/${first(fs.readdirSync(`${dir}/member/snap`))}`, 12);
  const { code, out } = await segdump(['ls', dir]);
  assert.equal(code, 1);
  assert.match(out, new RegExp(`CORRUPT at byte ${victim.offset}: record fails its CRC`));
  assert.match(out, /INVALID: snapshot file fails its CRC/);
});

test('ls accepts the member/wal directory itself', async (t) => {
  const dir = await fixture(t);
  const { code, out } = await segdump(['ls', `${dir}/member/wal`]);
  assert.equal(code, 0);
  assert.match(out, new RegExp(`WAL segments in ${dir}/member/wal`));
});

// ---- dump ----

test('dump shows each record with offset, kind, index, term, type and the described request', async (t) => {
  const dir = await fixture(t);
  const { code, out } = await segdump(['dump', dir]);
  assert.equal(code, 0);
  assert.match(out, /^==.*0000000000000000-0000000000000001\.seg \(seq 0, first index 1\)/m);
  assert.match(
    out,
    /\s0\s+header\s+-\s+-\s+-\s+member=8e9e05c52164694d cluster=cdf818194e3a8c32 seq=0 firstIndex=1 prevCrc=00000000/,
  );
  assert.match(out, /entry\s+1\s+1\s+empty/);
  assert.match(out, /entry\s+2\s+1\s+normal\s+time=2024-05-01T10:00:00\.000Z method=PUT path=\/a\/k2 value=v2/);
  assert.match(out, /hardState\s+-\s+1\s+-\s+vote=8e9e05c52164694d commit=29/);
  assert.match(out, /snapshotMarker\s+20\s+1\s+-\s+resetsLog=false/);
});

test('dump shortens long values unless --full', async (t) => {
  const dir = await fixture(t);
  const short = await segdump(['dump', dir, '--from', '30', '--to', '30']);
  assert.match(short.out, /value="(v30){20}"…\(\+60 chars\)/);
  const full = await segdump(['dump', dir, '--from', '30', '--to', '30', '--full']);
  assert.match(full.out, /value=(v30){40}(\s|$)/);
});

test('dump --json writes one parseable object per record', async (t) => {
  const dir = await fixture(t);
  const { code, out } = await segdump(['dump', dir, '--json']);
  assert.equal(code, 0);
  const records = lines(out).map((l) => JSON.parse(l));
  const e = records.find((r) => r.kind === 'entry' && r.index === 7);
  assert.deepEqual(
    { path: e.path, method: e.method, term: e.term, type: e.type },
    { path: '/b/k7', method: 'PUT', term: 1, type: 'normal' },
  );
  assert.equal(records.filter((r) => r.kind === 'header').length, segmentPaths(dir).length);
  assert.ok(records.every((r) => typeof r.file === 'string' && typeof r.offset === 'number'));
});

test('dump --from/--to shows only entries and markers in the index range', async (t) => {
  const dir = await fixture(t);
  const { out } = await segdump(['dump', dir, '--from', '19', '--to', '21', '--json']);
  const got = lines(out)
    .map((l) => JSON.parse(l))
    .map((r) => `${r.kind}:${r.index}`);
  assert.deepEqual(got, ['entry:19', 'entry:20', 'entry:21', 'snapshotMarker:20']);
});

test('dump --type shows only the kinds asked for', async (t) => {
  const dir = await fixture(t);
  const { out } = await segdump(['dump', dir, '--type', 'hardState,snapshotMarker', '--json']);
  const kinds = new Set(lines(out).map((l) => JSON.parse(l).kind));
  assert.deepEqual([...kinds].sort(), ['hardState', 'snapshotMarker']);
});

test('dump --prefix shows only entries whose described path starts with it', async (t) => {
  const dir = await fixture(t);
  const { out } = await segdump(['dump', dir, '--prefix', '/b/', '--json']);
  const paths = lines(out).map((l) => JSON.parse(l).path);
  assert.equal(paths.length, 14);
  assert.ok(paths.every((p: string) => p.startsWith('/b/')));
});

test('without a describer, dump shows the data size and first bytes, and --prefix is refused', async (t) => {
  const dir = await fixture(t);
  const { out } = await segdump(['dump', dir, '--from', '2', '--to', '2'], { describeEntry: null });
  const hex = Buffer.from(JSON.stringify({ time: '2024-05-01T10:00:00.000Z' }))
    .subarray(0, 16)
    .toString('hex');
  assert.match(out, new RegExp(`data="?<\\d+ bytes> ${hex}…`));
  const refused = await segdump(['dump', dir, '--prefix', '/a'], { describeEntry: null });
  assert.equal(refused.code, 2);
  assert.match(refused.err, /--prefix .* describer/);
});

test('an entry the describer cannot decode is shown raw, not a crash', async (t) => {
  const dir = dataDir(t);
  const wal = Wal.create(dir, walOptions());
  wal.append([{ index: asIndex(1), term: asTerm(1), type: 'normal', data: Buffer.from([0xff, 0x00, 0x01]) }], null);
  wal.close();
  const { code, out } = await segdump(['dump', dir]);
  assert.equal(code, 0);
  assert.match(out, /undecodable=.* data="?<3 bytes> ff0001/);
});

test('dump reports a torn tail and exits 0, a corrupt record and exits 1', async (t) => {
  const torn = await fixture(t);
  const end = usedBytes(torn);
  zeroRange(lastSegment(torn), end - 5, end - 3);
  const a = await segdump(['dump', torn]);
  assert.equal(a.code, 0);
  assert.match(a.out, /!! torn write at byte \d+: .*; a restart drops these \d+ bytes/);

  const bad = await fixture(t);
  const seg = segmentPath(bad, 0);
  const victim = recordOffsets(bad, seg).find((r) => r.kind === 'entry' && r.index === 4)!;
  flipByte(seg, victim.offset + 20);
  const b = await segdump(['dump', bad]);
  assert.equal(b.code, 1);
  assert.match(b.out, new RegExp(`!! CORRUPT at byte ${victim.offset}: record fails its CRC`));
  assert.match(b.out, /entry\s+3\s/);
});

test('dump refuses a non-numeric --from and an unknown --type', async () => {
  const a = await segdump(['dump', '.', '--from', 'ten']);
  assert.equal(a.code, 2);
  assert.match(a.err, /--from wants a log index/);
  const b = await segdump(['dump', '.', '--type', 'entries']);
  assert.equal(b.code, 2);
  assert.match(b.err, /unknown record kind "entries"/);
});

// ---- verify ----

test('verify exits 0 with a summary of segments, records, entries and index range', async (t) => {
  const dir = await fixture(t);
  const { code, out } = await segdump(['verify', dir]);
  assert.equal(code, 0);
  assert.match(
    out,
    new RegExp(
      `^ok: ${segmentPaths(dir).length} segments, \\d+ records \\(30 entries, \\d+ hard states, 1 snapshot marker, ${segmentPaths(dir).length} segment headers\\)`,
      'm',
    ),
  );
  assert.match(out, /index range: 1\.\.30/);
  assert.match(out, /hard state: term 1, vote 8e9e05c52164694d, commit 29/);
  assert.match(out, /snapshots: 1 \(newest: index 20, term 1\)/);
});

test('verify names the same file and offset a restarting member refuses', async (t) => {
  const dir = await fixture(t);
  const file = segmentPath(dir, 0);
  const victim = recordOffsets(dir, file).find((r) => r.kind === 'entry' && r.index === 22)!;
  flipByte(file, victim.offset + 20);
  let refusal: StorageError | null = null;
  try {
    Wal.open(dir, asIndex(20), walOptions({ segmentSize: 4096 }));
  } catch (err) {
    refusal = err as StorageError;
  }
  assert.ok(refusal instanceof StorageError);
  const { code, out } = await segdump(['verify', dir]);
  assert.equal(code, 1);
  assert.match(out, /^FAILED: corrupt WAL: record fails its CRC/m);
  assert.match(out, new RegExp(`file:\\s+${refusal.file}`));
  assert.match(out, new RegExp(`offset:\\s+${refusal.offset}$`, 'm'));
});

test('verify fails on a missing segment and on a damaged snapshot file', async (t) => {
  const gap = dataDir(t);
  const wal = Wal.create(gap, walOptions({ segmentSize: 4096 }));
  for (let i = 1; i <= 60; i++) wal.append([request(i, 1, { path: `/k${i}`, value: 'x'.repeat(200) })], null);
  wal.close();
  assert.ok(segmentPaths(gap).length >= 3);
  fs.rmSync(segmentPath(gap, 1));
  const a = await segdump(['verify', gap]);
  assert.equal(a.code, 1);
  assert.match(a.out, /a segment is missing/);

  const snap = await fixture(t);
  const file = `${snap}/member/snap/${fs.readdirSync(`${snap}/member/snap`)[0]}`;
  fs.truncateSync(file, 20);
  const b = await segdump(['verify', snap]);
  assert.equal(b.code, 1);
  assert.match(b.out, new RegExp(`file:\\s+${file}`));
});

test('verify warns about a torn tail but passes: a restart repairs it', async (t) => {
  const dir = await fixture(t);
  const end = usedBytes(dir);
  zeroRange(lastSegment(dir), end - 5, end - 3);
  const { code, out } = await segdump(['verify', dir]);
  assert.equal(code, 0);
  assert.match(out, /warning: torn write at the tail of .* at byte \d+: \d+ bytes will be dropped at the next start/);
});

// ---- snapshot ----

test('snapshot shows index, term, voters, data size and key count', async (t) => {
  const dir = await fixture(t);
  const file = `${dir}/member/snap/0000000000000001-0000000000000014.snap`;
  const { code, out } = await segdump(['snapshot', file]);
  assert.equal(code, 0);
  assert.match(out, /index:\s+20\n/);
  assert.match(out, /term:\s+1\n/);
  assert.match(out, /voters:\s+8e9e05c52164694d\n/);
  assert.match(out, /status:\s+ok/);
  assert.match(out, /keys:\s+3\n/);
});

test('snapshot --keys lists the keys; given a data dir it reads the newest snapshot', async (t) => {
  const dir = await fixture(t);
  const { code, out } = await segdump(['snapshot', dir, '--keys']);
  assert.equal(code, 0);
  assert.match(out, /0000000000000001-0000000000000014\.snap/);
  assert.deepEqual(lines(out).slice(-3), ['/a', '/a/k2', '/b']);
});

test('snapshot without the describer shows metadata and says why keys are unknown', async (t) => {
  const dir = await fixture(t);
  const { code, out } = await segdump(['snapshot', dir], { describeSnapshot: null });
  assert.equal(code, 0);
  assert.match(out, /keys:\s+unknown \(no snapshot describer\)/);
});

test('snapshot of a damaged file exits 1 saying why', async (t) => {
  const dir = await fixture(t);
  const file = `${dir}/member/snap/0000000000000001-0000000000000014.snap`;
  flipByte(file, 30);
  const { code, out } = await segdump(['snapshot', file]);
  assert.equal(code, 1);
  assert.match(out, /INVALID: snapshot file fails its CRC/);
});

// ---- help and usage ----

test('--help shows every command with an example', async () => {
  const { code, out } = await segdump(['--help']);
  assert.equal(code, 0);
  for (const cmd of ['ls', 'dump', 'verify', 'snapshot', 'history'])
    assert.match(out, new RegExp(`segdump ${cmd} /var/lib/kvd`));
});

test('each command has its own --help', async () => {
  for (const cmd of ['ls', 'dump', 'verify', 'snapshot', 'history']) {
    const { code, out } = await segdump([cmd, '--help']);
    assert.equal(code, 0);
    assert.match(out, new RegExp(`^Usage: segdump ${cmd} `));
    assert.match(out, /Example/);
  }
});

test('an unknown command, no command and a missing directory are usage errors', async () => {
  assert.equal((await segdump(['frobnicate'])).code, 2);
  assert.equal((await segdump([])).code, 2);
  const missing = await segdump(['ls', '/nonexistent/kvd-data']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /does not exist/);
});

// ---- as a process ----

const script = fileURLToPath(new URL('../../tools/segdump.ts', import.meta.url));

function runProcess(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 30_000 });
}

test('as a process: verify exits 0 on a good data dir and 1 on a corrupt one', async (t) => {
  const dir = await fixture(t);
  const ok = runProcess(['verify', dir]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: /);
  flipByte(segmentPath(dir, 0), 100);
  const bad = runProcess(['verify', dir]);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /^FAILED: /);
});

test('as a process: dump through the real server describer when it exists, usage errors exit 2', async (t) => {
  const dir = await fixture(t);
  const dump = runProcess(['dump', dir, '--type', 'header']);
  assert.equal(dump.status, 0, dump.stderr);
  assert.match(dump.stdout, /header\s+-\s+-\s+-\s+member=8e9e05c52164694d/);
  const usage = runProcess(['dump']);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /missing required args|segdump/);
});
