// Endpoint failover and cluster unavailability: which endpoint is tried next,
// and the texts and exit statuses etcdctl gives when none answers.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { closedPort, kvctl, removePrefix, silentServer, startServer, uniquePrefix } from './support.js';

const server = await startServer();
const ep = server.endpoint;
const root = uniquePrefix();

after(async () => {
  await removePrefix(ep, root);
  await server.stop();
});

describe('kvctl with no reachable endpoint', () => {
  test('a refused connection while syncing is a cluster error with detail, exit 2', async () => {
    const port = await closedPort();
    const err = `dial tcp 127.0.0.1:${port}: connect: connection refused`;
    assert.deepEqual(await kvctl(['--endpoints', `http://127.0.0.1:${port}`, 'get', '/k']), {
      code: 2,
      stdout: '',
      stderr: `Error:  client: etcd cluster is unavailable or misconfigured; error #0: ${err}\n\nerror #0: ${err}\n\n`,
    });
  });

  test('with --no-sync the same failure is a server error, exit 4, one line per endpoint', async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    const r = await kvctl(['--no-sync', '--endpoints', `http://127.0.0.1:${a},http://127.0.0.1:${b}`, 'get', '/k']);
    assert.equal(r.code, 4);
    assert.equal(
      r.stderr,
      'Error:  client: etcd cluster is unavailable or misconfigured' +
        `; error #0: dial tcp 127.0.0.1:${a}: connect: connection refused\n` +
        `; error #1: dial tcp 127.0.0.1:${b}: connect: connection refused\n\n` +
        `error #0: dial tcp 127.0.0.1:${a}: connect: connection refused\n` +
        `error #1: dial tcp 127.0.0.1:${b}: connect: connection refused\n\n`,
    );
  });

  test('a delete to a refused endpoint reports the plain dial error (it is not retried blindly)', async () => {
    const port = await closedPort();
    assert.deepEqual(await kvctl(['--no-sync', '--endpoints', `http://127.0.0.1:${port}`, 'rm', '/k']), {
      code: 4,
      stdout: '',
      stderr: `Error:  dial tcp 127.0.0.1:${port}: connect: connection refused\n`,
    });
  });

  test('an endpoint that never answers exceeds the --timeout header timeout', async () => {
    const silent = await silentServer();
    try {
      const r = await kvctl(['--no-sync', '--endpoints', silent.endpoint, '--timeout', '200ms', 'get', '/k']);
      const err = `client: endpoint ${silent.endpoint} exceeded header timeout`;
      assert.deepEqual(r, {
        code: 4,
        stdout: '',
        stderr: `Error:  client: etcd cluster is unavailable or misconfigured; error #0: ${err}\n\nerror #0: ${err}\n\n`,
      });
    } finally {
      await silent.close();
    }
  });

  test('--total-timeout ends the command with "context deadline exceeded"', async () => {
    const silent = await silentServer();
    try {
      const r = await kvctl([
        '--no-sync',
        '--endpoints',
        silent.endpoint,
        '--timeout',
        '10s',
        '--total-timeout',
        '200ms',
        'get',
        '/k',
      ]);
      assert.deepEqual(r, { code: 4, stdout: '', stderr: 'Error:  context deadline exceeded\n' });
    } finally {
      await silent.close();
    }
  });

  test('an endpoint without a scheme is refused as etcdctl refuses it', async () => {
    assert.deepEqual(await kvctl(['--endpoints', '127.0.0.1:2379', 'get', '/k']), {
      code: 1,
      stdout: '',
      stderr: 'parse "127.0.0.1:2379": first path segment in URL cannot contain colon\n',
    });
  });
});

describe('kvctl failover to a live endpoint', () => {
  test('skips a closed first endpoint and answers from the next', async () => {
    const port = await closedPort();
    await kvctl(['--endpoints', ep, 'set', `${root}/a`, 'v']);
    for (const sync of [[], ['--no-sync']]) {
      assert.deepEqual(await kvctl([...sync, '--endpoints', `http://127.0.0.1:${port},${ep}`, 'get', `${root}/a`]), {
        code: 0,
        stdout: 'v\n',
        stderr: '',
      });
    }
  });

  test('skips a silent first endpoint after its header timeout', async () => {
    const silent = await silentServer();
    try {
      await kvctl(['--endpoints', ep, 'set', `${root}/b`, 'w']);
      const r = await kvctl([
        '--no-sync',
        '--timeout',
        '200ms',
        '--endpoints',
        `${silent.endpoint},${ep}`,
        'get',
        `${root}/b`,
      ]);
      assert.deepEqual(r, { code: 0, stdout: 'w\n', stderr: '' });
    } finally {
      await silent.close();
    }
  });

  test('a create-only set tries the next endpoint when the first refuses the connection', async () => {
    const port = await closedPort();
    const r = await kvctl(['--no-sync', '--endpoints', `http://127.0.0.1:${port},${ep}`, 'mk', `${root}/c`, 'x']);
    assert.deepEqual(r, { code: 0, stdout: 'x\n', stderr: '' });
  });

  test('endpoints come from KVCTL_ENDPOINTS, then ETCDCTL_ENDPOINTS, when --endpoints is absent', async () => {
    const port = await closedPort();
    await kvctl(['--endpoints', ep, 'set', `${root}/d`, 'env']);
    assert.equal(
      (
        await kvctl(['get', `${root}/d`], {
          env: { KVCTL_ENDPOINTS: ep, ETCDCTL_ENDPOINTS: `http://127.0.0.1:${port}` },
        })
      ).stdout,
      'env\n',
    );
    assert.equal((await kvctl(['get', `${root}/d`], { env: { ETCDCTL_ENDPOINTS: ep } })).stdout, 'env\n');
    assert.equal((await kvctl(['--endpoint', ep, 'get', `${root}/d`])).stdout, 'env\n');
  });

  test('--debug prints the curl command of each request', async () => {
    const r = await kvctl(['--debug', '--no-sync', '--endpoints', ep, 'set', `${root}/e`, 'a b']);
    assert.equal(r.code, 0);
    assert.ok(r.stderr.includes(`cURL Command: curl -X PUT ${ep}/v2/keys${root}/e -d "value=a+b"\n`), r.stderr);
  });
});
