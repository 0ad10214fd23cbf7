// The real etcdctl v2 (Debian's etcd-client, which CI installs) against a
// real kvd member: an etcd user's tools work unchanged.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { eventually, freePort, httpRequest, MemberProcess, memberArgs, tempDir, waitReady } from '../support/procs.js';

const hasEtcdctl = spawnSync('etcdctl', ['--version'], { env: { ...process.env, ETCDCTL_API: '2' } }).status === 0;
let endpoint = '';

function ctl(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync('etcdctl', ['--endpoints', endpoint, ...args], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { ...process.env, ETCDCTL_API: '2' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(async (t) => {
  if (!hasEtcdctl) return;
  const ctx = t as unknown as import('node:test').TestContext;
  const dir = tempDir(ctx);
  const spec = { name: 'ctl', clientPort: await freePort(), peerPort: await freePort(), dataDir: join(dir, 'ctl.kvd') };
  const m = new MemberProcess(spec, memberArgs(spec, `ctl=http://127.0.0.1:${spec.peerPort}`, 'new'));
  process.on('exit', () => m.proc?.kill('SIGKILL'));
  ctx.after(() => m.kill());
  m.start();
  await waitReady(m);
  endpoint = m.clientURL;
});

/** Watches open on the member (its store stats count them). */
async function openWatches(): Promise<number> {
  return Number((await httpRequest('GET', `${endpoint}/v2/stats/store`)).json?.watchers);
}

/**
 * Starts etcdctl with a command that watches, once the member has no watch
 * open, and resolves when the member counts etcdctl's: a change made after
 * that is one etcdctl must see.
 */
async function startWatching(args: string[]): Promise<{ child: ChildProcess; output: () => string }> {
  await eventually(async () => (await openWatches()) === 0, 10_000, 'earlier watches to close');
  const child = spawn('etcdctl', ['--endpoints', endpoint, ...args], { env: { ...process.env, ETCDCTL_API: '2' } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await eventually(async () => (await openWatches()) > 0, 20_000, `etcdctl ${args.join(' ')} to open its watch`);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { child, output: () => out };
}

const opts = { skip: hasEtcdctl ? false : 'etcdctl (Debian etcd-client) is not installed; .ci/run installs it' };

test('etcdctl set, get, update and mk behave as against etcd', opts, () => {
  assert.deepEqual(ctl('set', '/c/a', 'one'), { code: 0, out: 'one\n', err: '' });
  assert.equal(ctl('get', '/c/a').out, 'one\n');
  assert.equal(ctl('update', '/c/a', 'two').out, 'two\n');
  assert.equal(ctl('mk', '/c/b', 'bee').out, 'bee\n');
  const again = ctl('mk', '/c/b', 'bee');
  assert.equal(again.code, 4);
  assert.match(again.err, /^Error:  105: Key already exists \(\/c\/b\) \[\d+\]$/m);
});

test('etcdctl get of a missing key prints etcd error 100 and exits 4', opts, () => {
  const r = ctl('get', '/c/missing');
  assert.equal(r.code, 4);
  assert.match(r.err, /^Error:  100: Key not found \(\/c\/missing\) \[\d+\]$/m);
});

test('etcdctl mkdir, setdir, updatedir, ls --sort -p and ls -r list directories as etcd does', opts, () => {
  assert.equal(ctl('mkdir', '/l/d1').code, 0);
  assert.equal(ctl('setdir', '/l/d2').code, 0);
  assert.equal(ctl('updatedir', '/l/d2', '--ttl', '100').code, 0);
  ctl('set', '/l/k', 'v');
  ctl('set', '/l/d1/inner', 'x');
  assert.equal(ctl('ls', '--sort', '-p', '/l').out, '/l/d1/\n/l/d2/\n/l/k\n');
  assert.equal(ctl('ls', '--sort', '-r', '/l').out, '/l/d1\n/l/d1/inner\n/l/d2\n/l/k\n');
});

test('etcdctl rm, rm --dir, rmdir and rm -r remove keys and directories', opts, () => {
  ctl('set', '/r/k', 'v');
  ctl('mkdir', '/r/empty');
  ctl('mkdir', '/r/empty2');
  ctl('set', '/r/full/x', '1');
  assert.equal(ctl('rm', '/r/k').code, 0);
  assert.equal(ctl('rm', '--dir', '/r/empty').code, 0);
  assert.equal(ctl('rmdir', '/r/empty2').code, 0);
  const notEmpty = ctl('rmdir', '/r/full');
  assert.notEqual(notEmpty.code, 0);
  assert.match(notEmpty.err, /108: Directory not empty/);
  assert.equal(ctl('rm', '-r', '/r').code, 0);
  assert.equal(ctl('ls', '/r').code, 4);
});

test('etcdctl watch --after-index replays history and watch --recursive sees a child change', opts, async () => {
  const set = await httpRequest('PUT', `${endpoint}/v2/keys/w/a`, 'value=first');
  const idx = set.json.node.modifiedIndex as number;
  assert.equal(ctl('watch', '--after-index', String(idx - 1), '/w/a').out, 'first\n');
  const { child, output } = await startWatching(['watch', '--recursive', '/w']);
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await httpRequest('PUT', `${endpoint}/v2/keys/w/deep/b`, 'value=second');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  assert.equal(await done, 0);
  clearTimeout(timer);
  assert.equal(output(), '[set] /w/deep/b\nsecond\n');
});

test('etcdctl watch --forever keeps printing changes until stopped', opts, async (t) => {
  const { child, output } = await startWatching(['watch', '--forever', '/f/k']);
  t.after(() => child.kill('SIGKILL'));
  // etcdctl asks for each next change from the index after the last one it printed, so it misses none.
  for (const v of ['1', '2', '3']) await httpRequest('PUT', `${endpoint}/v2/keys/f/k`, `value=${v}`);
  await eventually(async () => output().split('\n').length >= 4, 10_000, 'three changes printed').catch(() => null);
  assert.equal(output(), '1\n2\n3\n');
});

test('etcdctl exec-watch runs the command with the event in its environment', opts, async (t) => {
  // etcdctl 3.4 only honours `--` when some flag was parsed (it reads the key last otherwise).
  const { child, output } = await startWatching([
    'exec-watch',
    '--recursive',
    '/x/k',
    '--',
    'sh',
    '-c',
    'echo "$ETCD_WATCH_ACTION $ETCD_WATCH_KEY $ETCD_WATCH_VALUE"',
  ]);
  t.after(() => child.kill('SIGKILL'));
  await httpRequest('PUT', `${endpoint}/v2/keys/x/k`, 'value=ran');
  await eventually(async () => output().includes('\n'), 10_000, 'the command to print').catch(() => null);
  assert.equal(output(), 'set /x/k ran\n');
});
