// kvctl's user, role and auth commands and --username, byte for byte against
// etcdctl v2: each step runs etcdctl against a real etcd 3.4 (the reference),
// kvctl against a second etcd, kvctl against a kvd member and etcdctl against
// a second kvd member (each tool changes its own server's users); all four
// must print the same and exit the same.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { etcdctl, etcdctlAvailable, kvctlAt, type RunResult } from '../kvctl/support.js';
import { EtcdProcess, etcdSkip } from '../support/etcd.js';
import { freePort, MemberProcess, memberArgs, tempDir, waitReady } from '../support/procs.js';

type Tool = 'etcdctl' | 'kvctl';
const targets: Array<{ who: string; tool: Tool; url: string }> = [];

async function startKvd(ctx: import('node:test').TestContext, name: string): Promise<string> {
  const dir = tempDir(ctx);
  const spec = { name, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(dir, `${name}.kvd`) };
  const m = new MemberProcess(spec, memberArgs(spec, `${name}=http://127.0.0.1:${spec.peerPort}`, 'new'));
  process.on('exit', () => m.proc?.kill('SIGKILL'));
  ctx.after(() => m.kill());
  m.start();
  await waitReady(m);
  return m.clientURL;
}

before(async (t) => {
  if (etcdSkip || !etcdctlAvailable) return;
  const ctx = t as unknown as import('node:test').TestContext;
  const [etcdA, etcdB, kvdA, kvdB] = await Promise.all([
    EtcdProcess.start(ctx),
    EtcdProcess.start(ctx),
    startKvd(ctx, 'ctla'),
    startKvd(ctx, 'ctlb'),
  ]);
  targets.push(
    { who: 'etcdctl → etcd', tool: 'etcdctl', url: etcdA.clientURL },
    { who: 'kvctl → etcd', tool: 'kvctl', url: etcdB.clientURL },
    { who: 'kvctl → kvd', tool: 'kvctl', url: kvdA },
    { who: 'etcdctl → kvd', tool: 'etcdctl', url: kvdB },
  );
});

const opts = {
  skip: etcdSkip || (etcdctlAvailable ? false : 'etcdctl (Debian etcd-client) is not installed; .ci/run installs it'),
};

/**
 * Generous timeouts for both tools alike: etcd runs bcrypt on every request
 * with a password, and four servers share a loaded machine here.
 */
const TIMEOUTS = ['--timeout', '10s', '--total-timeout', '30s'];

function run(tool: Tool, url: string, args: string[], stdin?: string): Promise<RunResult> {
  const all = [...TIMEOUTS, ...args];
  return tool === 'kvctl'
    ? kvctlAt(url, all, stdin === undefined ? {} : { stdin })
    : etcdctl(['--endpoints', url, ...all], stdin === undefined ? {} : { stdin });
}

/** Runs every step four ways and asserts each matches etcdctl against etcd. */
async function same(steps: readonly string[][]): Promise<void> {
  for (const args of steps) {
    const [want, ...got] = await Promise.all(targets.map((t) => run(t.tool, t.url, args)));
    targets.slice(1).forEach((t, i) => assert.deepEqual(got[i], want, `${t.who}: ${args.join(' ')}`));
  }
}

const root = ['--username', 'root:rootpw'];

test('user add, get, list, grant, revoke and remove print what etcdctl prints', opts, async () => {
  await same([
    ['user', 'list'],
    ['user', 'add', 'root:rootpw'],
    ['user', 'add', 'root:rootpw'],
    ['user', 'add', 'alice:alicepw'],
    ['user', 'add', 'empty:'],
    ['user', 'get', 'alice'],
    ['user', 'get', 'nobody'],
    ['user', 'grant', 'alice'],
    ['user', 'grant', '--roles', 'app', '--roles', 'ops', 'alice'],
    ['user', 'grant', '--roles', 'app', 'alice'],
    ['user', 'revoke', '--roles', 'ops', 'alice'],
    ['user', 'revoke', '--roles', 'ops', 'alice'],
    ['user', 'grant', '--roles', 'x', 'nobody'],
    ['user', 'list'],
    ['user', 'list', 'extra'],
    ['user', 'get'],
    ['user', 'remove', 'nobody'],
  ]);
});

test('role add, get, list, grant, revoke and remove print what etcdctl prints', opts, async () => {
  await same([
    ['role', 'add', 'app'],
    ['role', 'add', 'app'],
    ['role', 'get', 'app'],
    ['role', 'grant', 'app'],
    ['role', 'grant', 'app', '--path', 'app/*'],
    ['role', 'grant', 'app', '--path', '/app/*'],
    ['role', 'grant', 'app', '--path', '/app/*', '--read', '--write'],
    ['role', 'grant', 'app', '--path', '/app/*', '--readwrite'],
    ['role', 'grant', 'app', '--path', '/app/*', '--rw'],
    ['role', 'grant', 'app', '--path', '/ro', '--read'],
    ['role', 'grant', 'nope', '--path', '/x', '--read'],
    ['role', 'revoke', 'app', '--path', '/ro', '--write'],
    ['role', 'revoke', 'app', '--path', '/ro', '--read'],
    ['role', 'get', 'app'],
    ['role', 'get', 'root'],
    ['role', 'get', 'nope'],
    ['role', 'list'],
    ['role', 'list', 'x'],
    ['user', 'get', 'alice'],
    ['role', 'add', 'temp'],
    ['role', 'remove', 'temp'],
    ['role', 'remove', 'temp'],
    ['role', 'remove', 'root'],
  ]);
});

test('auth enable and disable, and --username for every command once auth is on', opts, async () => {
  await same([
    ['auth', 'disable'],
    ['auth', 'enable', 'extra'],
    ['auth', 'enable'],
    ['auth', 'enable'],
    ['user', 'list'],
    [...root, 'user', 'list'],
    ['--username', 'root:wrong', 'user', 'list'],
    ['-u', 'alice:alicepw', 'role', 'list'],
    [...root, 'role', 'get', 'guest'],
    ['-u', 'alice:alicepw', 'set', '/app/k', 'v'],
    ['-u', 'alice:alicepw', 'get', '/app/k'],
    ['-u', 'alice:alicepw', 'set', '/other', 'v'],
    ['-u', 'alice:wrong', 'get', '/app/k'],
    [...root, 'user', 'remove', 'root'],
    ['auth', 'disable'],
    ['-u', 'alice:alicepw', 'auth', 'disable'],
    [...root, 'auth', 'disable'],
    ['user', 'remove', 'alice'],
  ]);
});

test('passwords typed at the prompt: user add without one, passwd, and --username without one', opts, async () => {
  // etcdctl also writes stty's complaints about a stdin that is not a terminal to stderr; stdout and the status are compared.
  const steps: Array<{ args: string[]; stdin: string }> = [
    { args: ['user', 'add', 'typed'], stdin: 'first\n' },
    { args: ['user', 'passwd', 'typed'], stdin: 'second\n' },
    { args: ['user', 'add', 'root:rootpw'], stdin: '' },
    { args: ['auth', 'enable'], stdin: '' },
    { args: ['--username', 'typed', 'user', 'list'], stdin: 'second\n' },
    { args: ['--username', 'root', 'user', 'list'], stdin: 'rootpw\n' },
    { args: ['--username', 'root', 'auth', 'disable'], stdin: 'rootpw\n' },
  ];
  for (const { args, stdin } of steps) {
    const results = await Promise.all(targets.map((t) => run(t.tool, t.url, args, stdin)));
    const [want, ...got] = results.map((r) => ({ code: r.code, stdout: r.stdout }));
    targets.slice(1).forEach((t, i) => assert.deepEqual(got[i], want, `${t.who}: ${args.join(' ')}`));
  }
});
