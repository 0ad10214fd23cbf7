// /v2/keys over HTTP/1.1 and h2c, answers as etcd 3.4 gave them.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApi, type Client, type Harness, type Protocol } from './support/clients.js';
import { TEST_CLUSTER_ID } from './support/store-service.js';

const CORS = {
  'access-control-allow-headers': 'accept, content-type, authorization',
  'access-control-allow-methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'access-control-allow-origin': '*',
};

const EVENT_HEADERS = [
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-allow-origin',
  'content-length',
  'content-type',
  'date',
  'x-etcd-cluster-id',
  'x-etcd-index',
  'x-raft-index',
  'x-raft-term',
];
const ERROR_HEADERS = [
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-allow-origin',
  'content-length',
  'content-type',
  'date',
  'x-etcd-cluster-id',
  'x-etcd-index',
];

function names(headers: Record<string, string>): string[] {
  return Object.keys(headers).sort();
}

for (const protocol of ['http1', 'h2c'] as Protocol[]) {
  describe(`keys over ${protocol}`, () => {
    let h: Harness;
    let c: Client;
    before(async () => {
      h = await startApi();
      c = h.client(protocol);
    });
    after(() => h.close());

    it('answers a PUT of a new key with 201, the event and etcd headers', async () => {
      const r = await c.request({ method: 'PUT', path: '/v2/keys/put/new', body: 'value=1' });
      assert.equal(r.status, 201);
      const index = h.service.store.index;
      assert.equal(
        r.body,
        `{"action":"set","node":{"key":"/put/new","value":"1","modifiedIndex":${index},"createdIndex":${index}}}\n`,
      );
      assert.deepEqual(names(r.headers), EVENT_HEADERS);
      assert.deepEqual(
        { ...r.headers, date: '' },
        {
          ...CORS,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(r.body)),
          date: '',
          'x-etcd-cluster-id': TEST_CLUSTER_ID,
          'x-etcd-index': String(index),
          'x-raft-index': String(h.service.raftIndex),
          'x-raft-term': String(h.service.raftTerm),
        },
      );
      assert.match(r.headers.date!, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    });

    it('answers a PUT over an existing key with 200 and its prevNode', async () => {
      await c.request({ method: 'PUT', path: '/v2/keys/put/again', body: 'value=1' });
      const r = await c.request({ method: 'PUT', path: '/v2/keys/put/again', body: 'value=2' });
      assert.equal(r.status, 200);
      const body = JSON.parse(r.body) as { prevNode: { value: string }; node: { value: string } };
      assert.equal(body.prevNode.value, '1');
      assert.equal(body.node.value, '2');
    });

    it('answers a POST with 201 and an in-order key', async () => {
      const r = await c.request({ method: 'POST', path: '/v2/keys/queue', body: 'value=job' });
      assert.equal(r.status, 201);
      const index = h.service.store.index;
      const name = String(index).padStart(20, '0');
      assert.equal(
        r.body,
        `{"action":"create","node":{"key":"/queue/${name}","value":"job","modifiedIndex":${index},"createdIndex":${index}}}\n`,
      );
    });

    it('answers a GET with the node and its index headers', async () => {
      await c.request({ method: 'PUT', path: '/v2/keys/get/a', body: 'value=x' });
      const r = await c.request({ path: '/v2/keys/get/a' });
      assert.equal(r.status, 200);
      assert.match(
        r.body,
        /^\{"action":"get","node":\{"key":"\/get\/a","value":"x","modifiedIndex":\d+,"createdIndex":\d+\}\}\n$/,
      );
      assert.equal(r.headers['x-etcd-index'], String(h.service.store.index));
    });

    it('lists the root without key or indexes', async () => {
      const r = await c.request({ path: '/v2/keys' });
      assert.equal(r.status, 200);
      assert.match(r.body, /^\{"action":"get","node":\{"dir":true,"nodes":\[/);
    });

    it('answers a missing key with 404, error code 100 and X-Etcd-Index but no raft headers', async () => {
      const r = await c.request({ path: '/v2/keys/missing/key' });
      assert.equal(r.status, 404);
      const index = h.service.store.index;
      assert.equal(r.body, `{"errorCode":100,"message":"Key not found","cause":"/missing","index":${index}}\n`);
      assert.deepEqual(names(r.headers), ERROR_HEADERS);
      assert.equal(r.headers['x-etcd-index'], String(index));
    });

    it('answers a failed create with 412', async () => {
      await c.request({ method: 'PUT', path: '/v2/keys/cas/k', body: 'value=1' });
      const r = await c.request({ method: 'PUT', path: '/v2/keys/cas/k?prevExist=false', body: 'value=2' });
      assert.equal(r.status, 412);
      assert.equal(JSON.parse(r.body).errorCode, 105);
    });

    it('answers a HEAD with the GET headers and no body', async () => {
      await c.request({ method: 'PUT', path: '/v2/keys/head/a', body: 'value=abc' });
      const get = await c.request({ path: '/v2/keys/head/a' });
      const head = await c.request({ method: 'HEAD', path: '/v2/keys/head/a' });
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      assert.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)));
      assert.deepEqual(names(head.headers), EVENT_HEADERS);
    });

    it('answers a HEAD of a missing key with 404 and no body', async () => {
      const r = await c.request({ method: 'HEAD', path: '/v2/keys/head/none' });
      assert.equal(r.status, 404);
      assert.equal(r.body, '');
      assert.ok(Number(r.headers['content-length']) > 0);
    });

    it('deletes a key', async () => {
      await c.request({ method: 'PUT', path: '/v2/keys/del/a', body: 'value=1' });
      const r = await c.request({ method: 'DELETE', path: '/v2/keys/del/a' });
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).action, 'delete');
    });

    it('omits node and prevNode with noValueOnSuccess', async () => {
      const r = await c.request({ method: 'PUT', path: '/v2/keys/nv/a?noValueOnSuccess=true', body: 'value=1' });
      assert.equal(r.status, 201);
      assert.equal(r.body, '{"action":"set"}\n');
    });

    it('takes parameters from the query string too', async () => {
      const r = await c.request({ method: 'PUT', path: '/v2/keys/q/a?value=fromquery' });
      assert.equal(JSON.parse(r.body).node.value, 'fromquery');
    });

    it('prefers the form body over the query string', async () => {
      const r = await c.request({ method: 'PUT', path: '/v2/keys/q/b?value=q', body: 'value=b' });
      assert.equal(JSON.parse(r.body).node.value, 'b');
    });

    it('ignores a JSON body, as etcd does', async () => {
      const r = await c.request({
        method: 'PUT',
        path: '/v2/keys/q/json',
        body: '{"value":"x"}',
        headers: { 'Content-Type': 'application/json' },
      });
      assert.equal(r.status, 201);
      assert.equal(JSON.parse(r.body).node.value, '');
    });

    it('sets a TTL and clears it with an empty ttl', async () => {
      const withTtl = JSON.parse(
        (await c.request({ method: 'PUT', path: '/v2/keys/ttl/a', body: 'value=1&ttl=100' })).body,
      );
      assert.equal(withTtl.node.ttl, 100);
      const cleared = JSON.parse(
        (await c.request({ method: 'PUT', path: '/v2/keys/ttl/a', body: 'value=2&ttl=' })).body,
      );
      assert.equal(cleared.node.ttl, undefined);
      assert.equal(cleared.node.expiration, undefined);
    });

    it('answers a bad boolean with 400, code 209, X-Etcd-Index 0 and never writes', async () => {
      const before = h.service.store.index;
      const r = await c.request({ method: 'PUT', path: '/v2/keys/bad/a?dir=maybe', body: 'value=1' });
      assert.equal(r.status, 400);
      assert.equal(
        r.body,
        '{"errorCode":209,"message":"Invalid field","cause":"invalid value for \\"dir\\"","index":0}\n',
      );
      assert.equal(r.headers['x-etcd-index'], '0');
      assert.deepEqual(names(r.headers), ERROR_HEADERS);
      assert.equal(h.service.store.index, before);
    });

    it('answers a form body over 10 MiB with 400 and code 210', async () => {
      const r = await c.request({ method: 'PUT', path: '/v2/keys/big/a', body: Buffer.alloc((10 << 20) + 1, 'a') });
      assert.equal(r.status, 400);
      assert.equal(
        r.body,
        '{"errorCode":210,"message":"Invalid POST form","cause":"http: POST too large","index":0}\n',
      );
    });

    it('accepts a form body of exactly 10 MiB', async () => {
      const body = Buffer.concat([Buffer.from('value='), Buffer.alloc((10 << 20) - 6, 'a')]);
      const r = await c.request({ method: 'PUT', path: '/v2/keys/big/b?noValueOnSuccess=true', body });
      assert.equal(r.status, 201);
    });

    it('answers an unsupported method with 405 and etcd Allow header', async () => {
      const r = await c.request({ method: 'PATCH', path: '/v2/keys/a' });
      assert.equal(r.status, 405);
      assert.equal(r.body, 'Method Not Allowed\n');
      assert.equal(r.headers.allow, 'HEAD,GET,PUT,POST,DELETE');
      assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['x-etcd-cluster-id'], undefined);
    });

    it('answers a failure that is not a V2Error as etcd answers a raft timeout', async () => {
      h.service.failNextWrite = new Error('etcdserver: request timed out');
      const r = await c.request({ method: 'PUT', path: '/v2/keys/fail/a', body: 'value=1' });
      assert.equal(r.status, 500);
      assert.equal(
        r.body,
        '{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out","index":0}\n',
      );
      assert.equal(r.headers['x-etcd-index'], '0');
    });

    it('escapes keys and values in Go style', async () => {
      const r = await c.request({ method: 'PUT', path: '/v2/keys/esc/%3Cx%3E', body: 'value=a%26b' });
      assert.match(r.body, /"key":"\/esc\/\\u003cx\\u003e","value":"a\\u0026b"/);
    });

    it('keeps a trailing slash out of the key', async () => {
      await c.request({ method: 'PUT', path: '/v2/keys/slash/a', body: 'value=1' });
      const r = await c.request({ path: '/v2/keys/slash/a/' });
      assert.equal(JSON.parse(r.body).node.key, '/slash/a');
    });

    it('decodes %2F in a key into a path separator', async () => {
      await c.request({ method: 'PUT', path: '/v2/keys/enc/a/b', body: 'value=1' });
      const r = await c.request({ path: '/v2/keys/enc/a%2Fb' });
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).node.key, '/enc/a/b');
    });
  });
}

describe('keys header order over HTTP/1.1', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  it('sends headers in the order etcd (Go) writes them', async () => {
    const c = h.client('http1');
    const r = await c.request({ method: 'PUT', path: '/v2/keys/order', body: 'value=1' });
    assert.deepEqual(r.order, [
      'Access-Control-Allow-Headers',
      'Access-Control-Allow-Methods',
      'Access-Control-Allow-Origin',
      'Content-Type',
      'X-Etcd-Cluster-Id',
      'X-Etcd-Index',
      'X-Raft-Index',
      'X-Raft-Term',
      'Date',
      'Content-Length',
    ]);
  });

  it('sends no Connection or Keep-Alive header on a kept-alive connection', async () => {
    const c = h.client('http1');
    const r = await c.request({ path: '/v2/keys/order' });
    assert.equal(r.headers.connection, undefined);
    assert.equal(r.headers['keep-alive'], undefined);
  });
});
