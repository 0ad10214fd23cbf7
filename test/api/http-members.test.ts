// /v2/members, /v2/machines, /v2/stats/*, /version, /health and /metrics,
// answered as etcd 3.4 answered them.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApi, type Client, type Harness } from './support/clients.js';
import { SELF, TEST_CLUSTER_ID } from './support/store-service.js';

const JSON_BODY = { 'Content-Type': 'application/json' };
const SELF_JSON =
  '{"id":"8e9e05c52164694d","name":"default","peerURLs":["http://127.0.0.1:2380"],"clientURLs":["http://127.0.0.1:2379"]}';

describe('members', () => {
  let h: Harness;
  let c: Client;
  before(async () => {
    h = await startApi();
    c = h.client('http1');
  });
  after(() => h.close());

  it('lists members with the cluster id header and a trailing newline', async () => {
    const r = await c.request({ path: '/v2/members' });
    assert.equal(r.status, 200);
    assert.equal(r.body, `{"members":[${SELF_JSON}]}\n`);
    assert.equal(r.headers['x-etcd-cluster-id'], TEST_CLUSTER_ID);
    assert.equal(r.headers['content-type'], 'application/json');
  });

  it('lists members at /v2/members/ too', async () => {
    assert.equal((await c.request({ path: '/v2/members/' })).status, 200);
  });

  it('names the leader', async () => {
    const r = await c.request({ path: '/v2/members/leader' });
    assert.equal(r.status, 200);
    assert.equal(r.body, `${SELF_JSON}\n`);
  });

  it('answers 503 "During election" without a leader', async () => {
    h.service.isLeader = false;
    try {
      const r = await c.request({ path: '/v2/members/leader' });
      assert.equal(r.status, 503);
      assert.equal(r.body, '{"message":"During election"}');
    } finally {
      h.service.isLeader = true;
    }
  });

  it('answers other GET paths with {"message":"Not found"}', async () => {
    const r = await c.request({ path: '/v2/members/abc' });
    assert.equal(r.status, 404);
    assert.equal(r.body, '{"message":"Not found"}');
  });

  it('adds a member with 201, echoing sorted normalised peer URLs', async () => {
    const r = await c.request({
      method: 'POST',
      path: '/v2/members',
      body: '{"peerURLs":["http://b:2"," HTTP://a:1 "]}',
      headers: JSON_BODY,
    });
    assert.equal(r.status, 201);
    const m = JSON.parse(r.body) as { id: string; peerURLs: string[] };
    assert.equal(r.body, `{"id":"${m.id}","name":"","peerURLs":["http://a:1","http://b:2"],"clientURLs":[]}\n`);
    assert.deepEqual(h.service.members().find((x) => x.id === m.id)?.peerURLs, ['http://a:1', 'http://b:2']);
  });

  it('ignores the path of a POST, as etcd does', async () => {
    const r = await c.request({
      method: 'POST',
      path: '/v2/members/whatever',
      body: '{"peerURLs":["http://c:3"]}',
      headers: JSON_BODY,
    });
    assert.equal(r.status, 201);
  });

  it('refuses a peer URL already in use with 409', async () => {
    const r = await c.request({
      method: 'POST',
      path: '/v2/members',
      body: '{"peerURLs":["http://127.0.0.1:2380"]}',
      headers: JSON_BODY,
    });
    assert.equal(r.status, 409);
    assert.equal(r.body, '{"message":"membership: peerURL exists"}');
  });

  it('refuses a body that is not JSON by content type with 415', async () => {
    const form = await c.request({ method: 'POST', path: '/v2/members', body: '{"peerURLs":["http://d:4"]}' });
    assert.equal(form.status, 415);
    assert.equal(
      form.body,
      '{"message":"Bad Content-Type application/x-www-form-urlencoded, accept application/json"}',
    );
    const upper = await c.request({
      method: 'POST',
      path: '/v2/members',
      body: '{}',
      headers: { 'Content-Type': 'Application/JSON' },
    });
    assert.equal(upper.body, '{"message":"Bad Content-Type Application/JSON, accept application/json"}');
    const withParam = await c.request({
      method: 'POST',
      path: '/v2/members',
      body: '{}',
      headers: { 'Content-Type': 'Application/JSON; charset=utf-8' },
    });
    assert.equal(withParam.body, '{"message":"no valid URLs given"}');
  });

  it("refuses bad JSON and bad URLs with 400 and Go's message", async () => {
    const bad = await c.request({ method: 'POST', path: '/v2/members', body: '{bad', headers: JSON_BODY });
    assert.equal(bad.status, 400);
    assert.equal(bad.body, `{"message":"invalid character 'b' looking for beginning of object key string"}`);
    const url = await c.request({
      method: 'POST',
      path: '/v2/members',
      body: '{"peerURLs":["http://a"]}',
      headers: JSON_BODY,
    });
    assert.equal(url.body, '{"message":"URL address does not have the form \\"host:port\\": http://a"}');
  });

  it('updates a member with 204 and no body', async () => {
    const r = await c.request({
      method: 'PUT',
      path: `/v2/members/${SELF.id.toUpperCase()}`,
      body: '{"peerURLs":["http://127.0.0.1:2380"]}',
      headers: JSON_BODY,
    });
    assert.equal(r.status, 204);
    assert.equal(r.body, '');
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(r.headers['content-type'], undefined);
    assert.equal(r.headers['x-etcd-cluster-id'], TEST_CLUSTER_ID);
  });

  it('answers an update of an unknown member with 404, naming the id as etcd prints it', async () => {
    const r = await c.request({
      method: 'PUT',
      path: '/v2/members/00ffff',
      body: '{"peerURLs":["http://x:1"]}',
      headers: JSON_BODY,
    });
    assert.equal(r.status, 404);
    assert.equal(r.body, '{"message":"No such member: ffff"}');
  });

  it('checks the member id before the body', async () => {
    const r = await c.request({ method: 'PUT', path: '/v2/members/zz', body: '{bad', headers: JSON_BODY });
    assert.equal(r.status, 404);
    assert.equal(r.body, '{"message":"No such member: zz"}');
  });

  it('answers DELETE and PUT without an id with a bare 405', async () => {
    for (const method of ['DELETE', 'PUT']) {
      const r = await c.request({ method, path: '/v2/members' });
      assert.equal(r.status, 405);
      assert.equal(r.body, 'Method Not Allowed\n');
      assert.equal(r.headers.allow, undefined);
      assert.equal(r.headers['x-etcd-cluster-id'], TEST_CLUSTER_ID);
    }
  });

  it('removes a member with 204, then answers 410 for it', async () => {
    const added = JSON.parse(
      (
        await c.request({
          method: 'POST',
          path: '/v2/members',
          body: '{"peerURLs":["http://e:5"]}',
          headers: JSON_BODY,
        })
      ).body,
    ) as { id: string };
    const r = await c.request({ method: 'DELETE', path: `/v2/members/${added.id}` });
    assert.equal(r.status, 204);
    const again = await c.request({ method: 'DELETE', path: `/v2/members/${added.id}` });
    assert.equal(again.status, 410);
    assert.equal(again.body, `{"message":"Member permanently removed: ${added.id}"}`);
  });

  it('answers removal of an unknown member with 404', async () => {
    const r = await c.request({ method: 'DELETE', path: '/v2/members/1234' });
    assert.equal(r.status, 404);
    assert.equal(r.body, '{"message":"No such member: 1234"}');
  });

  it("answers other methods with 405 and etcd's Allow", async () => {
    const r = await c.request({ method: 'HEAD', path: '/v2/members' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET,POST,DELETE,PUT');
  });
});

describe('machines, stats, version, health, metrics', () => {
  let h: Harness;
  let c: Client;
  before(async () => {
    h = await startApi({
      metrics: () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'kvd_up 1\n' }),
    });
    c = h.client('http1');
  });
  after(() => h.close());

  it('lists client URLs as text, comma and space separated', async () => {
    h.service.memberList = [
      SELF,
      { id: '2', name: 'b', peerURLs: ['http://b:2380'], clientURLs: ['http://b:2379', 'http://a:2379'] },
    ];
    try {
      const r = await c.request({ path: '/v2/machines' });
      assert.equal(r.body, 'http://127.0.0.1:2379, http://a:2379, http://b:2379');
      assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
      assert.deepEqual(r.order.slice(-3), ['Date', 'Content-Length', 'Content-Type']);
      const head = await c.request({ method: 'HEAD', path: '/v2/machines' });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(r.body.length));
    } finally {
      h.service.memberList = [SELF];
    }
  });

  it('serves the version JSON without a trailing newline', async () => {
    const r = await c.request({ path: '/version' });
    assert.equal(r.body, '{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal((await c.request({ method: 'HEAD', path: '/version' })).status, 405);
  });

  it('reports health as text/plain like etcd', async () => {
    const r = await c.request({ path: '/health' });
    assert.equal(r.status, 200);
    assert.equal(r.body, '{"health":"true"}');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.headers['x-content-type-options'], undefined);
  });

  it('answers 503 {"health":"false"} when unhealthy', async () => {
    h.service.unhealthy = 'no leader';
    try {
      const r = await c.request({ path: '/health' });
      assert.equal(r.status, 503);
      assert.equal(r.body, '{"health":"false"}\n');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    } finally {
      h.service.unhealthy = null;
    }
  });

  it('serves self and store stats as JSON without a newline', async () => {
    const self = await c.request({ path: '/v2/stats/self' });
    assert.equal(self.status, 200);
    assert.equal(self.body, JSON.stringify(h.service.selfStats()));
    const store = await c.request({ path: '/v2/stats/store' });
    assert.equal(JSON.parse(store.body).watchers, 0);
    assert.equal((await c.request({ method: 'POST', path: '/v2/stats/store' })).headers.allow, 'GET');
  });

  it('serves leader stats on the leader and 403 elsewhere', async () => {
    assert.equal((await c.request({ path: '/v2/stats/leader' })).body, '{"leader":"8e9e05c52164694d","followers":{}}');
    h.service.isLeader = false;
    try {
      const r = await c.request({ path: '/v2/stats/leader' });
      assert.equal(r.status, 403);
      assert.equal(r.body, '{"message":"not current leader"}');
    } finally {
      h.service.isLeader = true;
    }
  });

  it('delegates /metrics to the given source, whatever the method', async () => {
    for (const method of ['GET', 'PATCH']) {
      const r = await c.request({ method, path: '/metrics' });
      assert.equal(r.status, 200);
      assert.equal(r.body, 'kvd_up 1\n');
      assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    }
  });
});
