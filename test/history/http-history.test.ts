// The "done when", against a real kvd process: a watch 2500 events
// back is answered at once (etcd answers 401), ?atIndex reads an old value
// and refuses a future index with an error JSON.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { freePort, httpRequest, MemberProcess, memberArgs, tempDir, waitReady } from '../support/procs.js';

async function startOne(t: TestContext, extra: string[] = []): Promise<MemberProcess> {
  const dir = tempDir(t);
  const spec = {
    name: 'solo',
    clientPort: await freePort(),
    peerPort: await freePort(),
    dataDir: join(dir, 'solo.kvd'),
  };
  const m = new MemberProcess(spec, memberArgs(spec, `solo=http://127.0.0.1:${spec.peerPort}`, 'new', extra));
  t.after(() => m.kill());
  m.start();
  await waitReady(m);
  return m;
}

/** `n` writes of /k/<i> = v<i>, eight at a time; returns the index of the first. */
async function writes(m: MemberProcess, n: number): Promise<number> {
  const first = await httpRequest('PUT', `${m.clientURL}/v2/keys/k/0`, 'value=v0');
  for (let i = 1; i < n; i += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, n - i) }, (_, j) =>
        httpRequest('PUT', `${m.clientURL}/v2/keys/k/${i + j}`, `value=v${i + j}`),
      ),
    );
  }
  return first.json.node.modifiedIndex as number;
}

test('with history-replay-thread, a watch from 2500 events back is answered by a replay on a worker thread', async (t) => {
  const m = await startOne(t, ['--snapshot-count', '1000', '--history-replay-thread']);
  const first = await writes(m, 2500);
  const watch = await httpRequest('GET', `${m.clientURL}/v2/keys/k/0?wait=true&waitIndex=${first}`, undefined, 5000);
  assert.equal(watch.status, 200);
  assert.deepEqual(watch.json, {
    action: 'set',
    node: { key: '/k/0', value: 'v0', modifiedIndex: first, createdIndex: first },
  });
  const metrics = await httpRequest('GET', `${m.clientURL}/metrics`);
  assert.match(metrics.body, /^kvd_history_replays_total\{purpose="watch"\} 1$/m);
});

test('after 2500 writes a watch from 2500 events back gets its event at once, and atIndex reads the past', async (t) => {
  const m = await startOne(t, ['--snapshot-count', '1000']);
  const first = await writes(m, 2500);
  const now = await httpRequest('GET', `${m.clientURL}/v2/keys/k/0`);
  const current = Number(now.headers['x-etcd-index']);
  assert.ok(current - first >= 2499);

  const watch = await httpRequest('GET', `${m.clientURL}/v2/keys/k/0?wait=true&waitIndex=${first}`, undefined, 5000);
  assert.equal(watch.status, 200);
  assert.equal(watch.headers['x-etcd-index'], String(current));
  assert.deepEqual(watch.json, {
    action: 'set',
    node: { key: '/k/0', value: 'v0', modifiedIndex: first, createdIndex: first },
  });

  const recursive = await httpRequest(
    'GET',
    `${m.clientURL}/v2/keys/k?wait=true&recursive=true&waitIndex=${first + 1}`,
    undefined,
    5000,
  );
  assert.equal(recursive.json.node.modifiedIndex, first + 1);
  const metrics = await httpRequest('GET', `${m.clientURL}/metrics`);
  assert.match(metrics.body, /^kvd_history_replays_total\{purpose="watch"\} 1$/m, 'both watches came from one replay');

  await httpRequest('PUT', `${m.clientURL}/v2/keys/k/0`, 'value=changed');
  const old = await httpRequest('GET', `${m.clientURL}/v2/keys/k/0?atIndex=${first}`);
  assert.equal(old.status, 200);
  assert.equal(old.headers['x-etcd-index'], String(first));
  assert.deepEqual(old.json, {
    action: 'get',
    node: { key: '/k/0', value: 'v0', modifiedIndex: first, createdIndex: first },
  });
  const listing = await httpRequest('GET', `${m.clientURL}/v2/keys/k?atIndex=${first + 2}&recursive=true&sorted=true`);
  assert.deepEqual(
    listing.json.node.nodes.map((n: { key: string }) => n.key),
    ['/k/0', '/k/1', '/k/2'],
  );
});

test("atIndex past the current index is a 400 with kvd's code 450, a bad one etcd's 203", async (t) => {
  const m = await startOne(t);
  const put = await httpRequest('PUT', `${m.clientURL}/v2/keys/a`, 'value=1');
  const index = put.json.node.modifiedIndex as number;
  const future = await httpRequest('GET', `${m.clientURL}/v2/keys/a?atIndex=${index + 5}`);
  assert.equal(future.status, 400);
  assert.equal(
    future.body,
    `{"errorCode":450,"message":"The requested index is in the future","cause":"requested index ${index + 5} is past the current index ${index}","index":${index}}\n`,
  );
  const bad = await httpRequest('GET', `${m.clientURL}/v2/keys/a?atIndex=x`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.errorCode, 203);
  assert.equal(bad.json.cause, 'invalid value for "atIndex"');
});
