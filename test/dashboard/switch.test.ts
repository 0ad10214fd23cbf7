// The kvd binary's dashboard switch: on by default, --dashboard=false turns
// the page off while the v2 API goes on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpRequest, startCluster } from '../support/procs.js';

test('a member serves /dashboard/ by default', async (t) => {
  const [m] = await startCluster(t, 1);
  const r = await httpRequest('GET', `${m!.clientURL}/dashboard/`);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  const view = await httpRequest('GET', `${m!.clientURL}/dashboard/api/cluster`);
  assert.equal(view.json.members[0].name, 'm1');
});

test('a member started with --dashboard=false answers /dashboard/ with 404 and still serves keys', async (t) => {
  const [m] = await startCluster(t, 1, ['--dashboard=false']);
  for (const path of ['/dashboard/', '/dashboard/api/latency']) {
    assert.equal((await httpRequest('GET', `${m!.clientURL}${path}`)).status, 404, path);
  }
  assert.equal((await httpRequest('PUT', `${m!.clientURL}/v2/keys/still`, 'value=here')).status, 201);
});
