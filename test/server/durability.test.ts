// What survives a crash: real member processes killed with SIGKILL under
// load, segment files cut and damaged, then started again.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { eventually, freePort, httpRequest, MemberProcess, memberArgs, tempDir, waitReady } from '../support/procs.js';

const root = new URL('../..', import.meta.url).pathname;
const segdumpBin = join(root, 'dist/tools/segdump.js');

async function solo(t: TestContext, extra: string[] = []): Promise<MemberProcess> {
  const dir = tempDir(t);
  const spec = { name: 'd', clientPort: await freePort(), peerPort: await freePort(), dataDir: join(dir, 'd.kvd') };
  const m = new MemberProcess(spec, memberArgs(spec, `d=http://127.0.0.1:${spec.peerPort}`, 'new', extra));
  t.after(() => m.kill());
  m.start();
  await waitReady(m);
  return m;
}

function walFiles(m: MemberProcess): string[] {
  const dir = join(m.spec.dataDir, 'member/wal');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort()
    .map((f) => join(dir, f));
}

/** Writes keys w0, w1, ... from `clients` concurrent loops until stopped; returns the acknowledged ones. */
function writeLoad(
  m: MemberProcess,
  clients: number,
): { acknowledged: () => number; stop: () => Promise<Map<string, string>> } {
  const acked = new Map<string, string>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let running = true;
  let n = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (running && n < 100_000) {
      const key = `w${n++}`;
      const value = `value-${key}`;
      const ok = await new Promise<boolean>((resolve) => {
        const req = http.request(
          `${m.clientURL}/v2/keys/load/${key}`,
          { method: 'PUT', agent, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode === 201));
            res.on('error', () => resolve(false));
          },
        );
        req.on('error', () => resolve(false));
        req.end(`value=${value}`);
      });
      if (ok) acked.set(key, value);
      else return;
    }
  });
  return {
    acknowledged: () => acked.size,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return acked;
    },
  };
}

async function loadedKeys(m: MemberProcess): Promise<Map<string, string>> {
  const r = await httpRequest('GET', `${m.clientURL}/v2/keys/load?recursive=true`);
  const out = new Map<string, string>();
  for (const n of r.json?.node?.nodes ?? []) out.set(n.key.slice('/load/'.length), n.value);
  return out;
}

test('after kill -9 under write load every acknowledged write is there and nothing is invented', async (t) => {
  const m = await solo(t);
  const load = writeLoad(m, 16);
  await eventually(async () => load.acknowledged() >= 200, 20_000, '200 acknowledged writes');
  await m.kill('SIGKILL');
  const acked = await load.stop();
  assert.ok(acked.size > 50, `only ${acked.size} writes acknowledged`);
  m.start();
  await waitReady(m);
  const stored = await loadedKeys(m);
  for (const [k, v] of acked) assert.equal(stored.get(k), v, `acknowledged ${k} lost`);
  for (const [k, v] of stored) assert.equal(v, `value-${k}`, `invented ${k}`);
});

test('a last segment cut at random byte offsets loses only its tail', async (t) => {
  const m = await solo(t);
  for (let i = 0; i < 40; i++) await httpRequest('PUT', `${m.clientURL}/v2/keys/load/w${i}`, `value=value-w${i}`);
  await m.kill('SIGKILL');
  const last = walFiles(m).at(-1)!;
  const original = readFileSync(last);
  const used = usedLength(original);
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let round = 0; round < 4; round++) {
    writeFileSync(last, original);
    const cut = Math.floor(used * (0.5 + rand() * 0.5));
    truncateSync(last, cut);
    m.start();
    await waitReady(m);
    const stored = await loadedKeys(m);
    const present = [...stored.keys()].map((k) => Number(k.slice(1))).sort((a, b) => a - b);
    // What survives is a prefix of what was written, with its values intact.
    present.forEach((n, i) => assert.equal(n, i, `cut at ${cut}: key w${i} missing while w${n} is there`));
    for (const [k, v] of stored) assert.equal(v, `value-${k}`);
    assert.match(m.stderr, /torn|truncat/i, `cut at ${cut} was not reported`);
    await m.kill('SIGKILL');
  }
});

test('a damaged record in the middle of the log is refused naming the file and offset, and segdump verify agrees', async (t) => {
  const m = await solo(t);
  for (let i = 0; i < 40; i++) await httpRequest('PUT', `${m.clientURL}/v2/keys/load/w${i}`, `value=value-w${i}`);
  await m.kill('SIGKILL');
  const file = walFiles(m).at(-1)!;
  const bytes = readFileSync(file);
  const at = Math.floor(usedLength(bytes) / 3);
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(file, bytes);
  m.start();
  const code = await m.waitExit(15_000);
  assert.notEqual(code, 0);
  const name = file.split('/').at(-1)!;
  assert.match(m.stderr, new RegExp(name));
  assert.match(m.stderr, /offset \d+/);
  assert.match(m.stderr, /segdump verify/);
  const v = spawnSync(process.execPath, [segdumpBin, 'verify', m.spec.dataDir], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(v.status, 1);
  assert.match(v.stdout + v.stderr, new RegExp(name));
});

test('a log spanning several segments and snapshots replays to the same tree', async (t) => {
  const m = await solo(t, [
    '--snapshot-count',
    '100',
    '--segment-size',
    '16384',
    '--max-snapshots',
    '2',
    '--max-wals',
    '2',
  ]);
  for (let i = 0; i < 450; i++) {
    await httpRequest('PUT', `${m.clientURL}/v2/keys/many/k${i % 120}`, `value=${'x'.repeat(i % 50)}${i}`);
    if (i % 97 === 0) await httpRequest('DELETE', `${m.clientURL}/v2/keys/many/k${(i * 7) % 120}`);
  }
  const before = await httpRequest('GET', `${m.clientURL}/v2/keys/?recursive=true&sorted=true`);
  await m.kill('SIGKILL');
  assert.ok(walFiles(m).length >= 2, 'the log should span several segments');
  const snaps = readdirSync(join(m.spec.dataDir, 'member/snap')).filter((f) => f.endsWith('.snap'));
  assert.ok(snaps.length >= 1 && snaps.length <= 2, `snapshots kept: ${snaps.length}`);
  m.start();
  await waitReady(m);
  const after = await httpRequest('GET', `${m.clientURL}/v2/keys/?recursive=true&sorted=true`);
  assert.deepEqual(after.json, before.json);
  assert.equal(after.headers['x-etcd-index'], before.headers['x-etcd-index']);
  assert.match(m.stderr, /"snapshotIndex":[1-9]/);
});

test('a damaged newest snapshot falls back to an older one with a warning', async (t) => {
  const m = await solo(t, ['--snapshot-count', '50', '--max-snapshots', '3', '--max-wals', '0']);
  for (let i = 0; i < 200; i++) await httpRequest('PUT', `${m.clientURL}/v2/keys/s/k${i % 30}`, `value=${i}`);
  const before = await httpRequest('GET', `${m.clientURL}/v2/keys/?recursive=true&sorted=true`);
  await m.kill('SIGKILL');
  const snapDir = join(m.spec.dataDir, 'member/snap');
  const newest = readdirSync(snapDir)
    .filter((f) => f.endsWith('.snap'))
    .sort()
    .at(-1)!;
  const bytes = readFileSync(join(snapDir, newest));
  const middle = Math.floor(bytes.length / 2);
  bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
  writeFileSync(join(snapDir, newest), bytes);
  m.start();
  await waitReady(m);
  assert.match(m.stderr, new RegExp(newest));
  const after = await httpRequest('GET', `${m.clientURL}/v2/keys/?recursive=true&sorted=true`);
  assert.deepEqual(after.json, before.json);
});

/** Bytes of a preallocated segment that hold records (the rest is zeros). */
function usedLength(bytes: Buffer): number {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end;
}
