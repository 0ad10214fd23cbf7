// watch and exec-watch against a live server: after-index replay, --forever
// ended by an abort (Ctrl+C) once the expected output is there, and
// exec-watch's environment.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { kvctlAt, kvctlUntil, removePrefix, startServer, uniquePrefix } from './support.js';

const server = await startServer();
const ep = server.endpoint;
const root = uniquePrefix();
let n = 0;
const fresh = (): string => `${root}/t${++n}`;

after(async () => {
  await removePrefix(ep, root);
  await server.stop();
});

/** Sets key directly over HTTP and returns the new modifiedIndex. */
async function put(key: string, value: string): Promise<number> {
  const res = await fetch(`${ep}/v2/keys${key}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ value }).toString(),
  });
  const body = (await res.json()) as { node: { modifiedIndex: number } };
  return body.node.modifiedIndex;
}

// --after-index 0 means "no index" to etcdctl and kvctl, and a fresh kvd starts
// at store index 0: one write first, so the tests' "first - 1" is never 0.
await put(`${root}/warm-up`, 'x');

describe('kvctl watch', () => {
  test('--after-index replays the first change after that index and exits 0', async () => {
    const p = fresh();
    const first = await put(`${p}/k`, 'one');
    await put(`${p}/k`, 'two');
    assert.deepEqual(await kvctlAt(ep, ['watch', '--after-index', String(first - 1), `${p}/k`]), {
      code: 0,
      stdout: 'one\n',
      stderr: '',
    });
    assert.deepEqual(await kvctlAt(ep, ['watch', '--after-index', String(first), `${p}/k`]), {
      code: 0,
      stdout: 'two\n',
      stderr: '',
    });
  });

  test('--recursive prints the action and key before each value', async () => {
    const p = fresh();
    const first = await put(`${p}/d/k`, 'v');
    assert.deepEqual(await kvctlAt(ep, ['watch', '--recursive', '--after-index', String(first - 1), `${p}/d`]), {
      code: 0,
      stdout: `[set] ${p}/d/k\nv\n`,
      stderr: '',
    });
  });

  test('--forever prints every change until interrupted, then exits 0', async () => {
    const p = fresh();
    const first = await put(`${p}/k`, 'a');
    await put(`${p}/k`, 'b');
    const running = kvctlUntil(
      ep,
      ['-o', 'json', 'watch', '--forever', '--after-index', String(first - 1), `${p}/k`],
      (out) => out.split('\n').length > 3,
    );
    await put(`${p}/k`, 'c');
    const r = await running;
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    const values = r.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { node: { value: string } }).node.value);
    assert.deepEqual(values, ['a', 'b', 'c']);
  });

  test('watch without a key fails with "key required" and exits 1', async () => {
    assert.deepEqual(await kvctlAt(ep, ['watch']), { code: 1, stdout: '', stderr: 'Error:  key required\n' });
  });
});

describe('kvctl exec-watch', () => {
  test('runs the command after "--" with ETCD_WATCH_* set for each event', async () => {
    const p = fresh();
    const first = await put(`${p}/k`, 'hello');
    await put(`${p}/k`, 'world');
    // etcdctl's documented form: a bool flag right before the key keeps the key in front of "--".
    const r = await kvctlUntil(
      ep,
      [
        'exec-watch',
        '--after-index',
        String(first - 1),
        '--recursive',
        `${p}/k`,
        '--',
        'sh',
        '-c',
        'echo "$ETCD_WATCH_ACTION $ETCD_WATCH_KEY $ETCD_WATCH_VALUE"',
      ],
      (out) => out.split('\n').length > 2,
    );
    assert.equal(r.code, 0);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), [`set ${p}/k hello`, `set ${p}/k world`]);
  });

  test("takes the command before the key when there is no '--' (etcdctl's other form)", async () => {
    const p = fresh();
    const first = await put(`${p}/k`, 'v1');
    const r = await kvctlUntil(
      ep,
      ['exec-watch', '--after-index', String(first - 1), 'sh', '-c', 'echo $ETCD_WATCH_VALUE', `${p}/k`],
      (out) => out.includes('\n'),
    );
    assert.deepEqual(r, { code: 0, stdout: 'v1\n', stderr: '' });
  });

  test('a command that cannot be started ends exec-watch with status 1', async () => {
    const p = fresh();
    const first = await put(`${p}/k`, 'v');
    const r = await kvctlAt(ep, [
      'exec-watch',
      '--after-index',
      String(first - 1),
      '--recursive',
      `${p}/k`,
      '--',
      'kvctl-test-no-such-program',
    ]);
    assert.deepEqual(r, {
      code: 1,
      stdout: '',
      stderr: 'exec: "kvctl-test-no-such-program": executable file not found in $PATH',
    });
  });

  test("exec-watch with only a key fails with etcdctl's message and exits 1", async () => {
    assert.deepEqual(await kvctlAt(ep, ['exec-watch', '/k']), {
      code: 1,
      stdout: '',
      stderr: 'Error:  key and command to exec required\n',
    });
  });
});
