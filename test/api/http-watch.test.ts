// Watches: long polls and streams over HTTP/1.1 and h2c, as etcd 3.4 serves
// them (headers flushed at once with the index the watch began at, one event
// per line).

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { eventually, H2cClient, startApi, type Client, type Harness, type Protocol } from './support/clients.js';

function watchers(h: Harness): number {
  return (h.service.storeStats() as { watchers: number }).watchers;
}

for (const protocol of ['http1', 'h2c'] as Protocol[]) {
  describe(`watches over ${protocol}`, () => {
    let h: Harness;
    let c: Client;
    before(async () => {
      h = await startApi({ historySize: 20 });
      c = h.client(protocol);
    });
    after(() => h.close());

    it('sends the headers of a long poll before any event, with the current index', async () => {
      await c.request({ method: 'PUT', path: '/v2/keys/lp/a', body: 'value=0' });
      const index = h.service.store.index;
      const w = await c.open({ path: '/v2/keys/lp/a?wait=true' });
      assert.equal(w.status, 200);
      assert.equal(w.headers['x-etcd-index'], String(index));
      assert.equal(w.headers['content-type'], 'application/json');
      assert.ok(w.headers['x-raft-index'] !== undefined && w.headers['x-raft-term'] !== undefined);
      assert.equal(w.headers['content-length'], undefined);
      await c.request({ method: 'PUT', path: '/v2/keys/lp/a', body: 'value=1' });
      const body = await w.rest();
      assert.equal(
        body,
        `{"action":"set","node":{"key":"/lp/a","value":"1","modifiedIndex":${index + 1},"createdIndex":${index + 1}},"prevNode":{"key":"/lp/a","value":"0","modifiedIndex":${index},"createdIndex":${index}}}\n`,
      );
      assert.equal(await w.finished(), true);
    });

    it('answers a watch from an index still in the history at once', async () => {
      await c.request({ method: 'PUT', path: '/v2/keys/hist/a', body: 'value=old' });
      const since = h.service.store.index;
      await c.request({ method: 'PUT', path: '/v2/keys/other', body: 'value=x' });
      const w = await c.open({ path: `/v2/keys/hist/a?wait=true&waitIndex=${since}` });
      assert.equal(w.headers['x-etcd-index'], String(h.service.store.index));
      const event = JSON.parse(await w.rest());
      assert.equal(event.node.value, 'old');
      assert.equal(event.node.modifiedIndex, since);
    });

    it('streams one event per line with stream=true, recursively', async () => {
      const w = await c.open({ path: '/v2/keys/st?wait=true&recursive=true&stream=true' });
      await c.request({ method: 'PUT', path: '/v2/keys/st/a', body: 'value=1' });
      await c.request({ method: 'PUT', path: '/v2/keys/st/b/c', body: 'value=2' });
      await c.request({ method: 'DELETE', path: '/v2/keys/st/a' });
      let text = '';
      while (text.split('\n').length < 4) {
        const chunk = await w.next();
        assert.notEqual(chunk, null, 'stream ended early');
        text += chunk;
      }
      const events = text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { action: string; node: { key: string } });
      assert.deepEqual(
        events.map((e) => [e.action, e.node.key]),
        [
          ['set', '/st/a'],
          ['set', '/st/b/c'],
          ['delete', '/st/a'],
        ],
      );
      w.abort();
    });

    it('answers a watch from an index older than the history with 400 and code 401', async () => {
      for (let i = 0; i < 25; i++) await c.request({ method: 'PUT', path: '/v2/keys/churn', body: `value=${i}` });
      const r = await c.request({ path: '/v2/keys/churn?wait=true&waitIndex=1' });
      assert.equal(r.status, 400);
      const body = JSON.parse(r.body);
      assert.equal(body.errorCode, 401);
      assert.equal(body.message, 'The event in requested index is outdated and cleared');
      assert.equal(body.index, h.service.store.index);
      assert.equal(r.headers['x-etcd-index'], String(h.service.store.index));
    });

    it('cancels the watch when the client goes away', async () => {
      const base = watchers(h);
      const w = await c.open({ path: '/v2/keys/gone?wait=true' });
      assert.equal(watchers(h), base + 1);
      w.abort();
      assert.ok(await eventually(() => watchers(h) === base), 'watch still registered');
    });

    it('treats wait=true with quorum=true as a read', async () => {
      await c.request({ method: 'PUT', path: '/v2/keys/q/a', body: 'value=now' });
      const r = await c.request({ path: '/v2/keys/q/a?wait=true&quorum=true' });
      assert.equal(JSON.parse(r.body).action, 'get');
    });
  });
}

describe('watch lifetime', () => {
  it('ends a long poll with an empty 200 when the watch times out', async () => {
    const h = await startApi({ watchTimeoutMs: 50 });
    try {
      const w = await h.client('http1').open({ path: '/v2/keys/quiet?wait=true' });
      assert.equal(w.status, 200);
      assert.equal(await w.rest(), '');
      assert.equal(await w.finished(), true);
      assert.ok(await eventually(() => watchers(h) === 0));
    } finally {
      await h.close();
    }
  });

  for (const protocol of ['http1', 'h2c'] as Protocol[]) {
    it(`ends open watches cleanly when the API closes (${protocol})`, async () => {
      const h = await startApi();
      const c = h.client(protocol);
      const poll = await c.open({ path: '/v2/keys/a?wait=true' });
      const stream = await c.open({ path: '/v2/keys/b?wait=true&stream=true' });
      await h.api.close();
      assert.equal(await poll.rest(), '');
      assert.equal(await poll.finished(), true);
      assert.equal(await stream.finished(), true);
      assert.equal(watchers(h), 0);
      await h.close();
    });
  }

  it('ends a streaming watch whose client stops reading once too much is queued', async () => {
    const h = await startApi();
    // A zero flow-control window: the server can send headers but no body bytes.
    const session = http2.connect(h.url, { settings: { initialWindowSize: 0 } });
    try {
      await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
      const stream = session.request({ ':path': '/v2/keys/flood?wait=true&stream=true' });
      await new Promise<void>((resolve) => stream.once('response', () => resolve()));
      assert.equal(watchers(h), 1);
      const value = 'v'.repeat(64 * 1024);
      for (let i = 0; i < 200 && watchers(h) > 0; i++) {
        await h.service.write({ op: 'put', path: '/flood', value, dir: false, ttl: null, refresh: false });
      }
      assert.equal(watchers(h), 0);
    } finally {
      session.destroy();
      await h.close();
    }
  });

  it('drops a connection that never sent a byte when the API closes', async () => {
    const h = await startApi();
    const socket = net.connect(h.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    await h.api.close();
    await closed;
    await h.close();
  });

  it('refuses new connections after close', async () => {
    const h = await startApi();
    await h.close();
    await assert.rejects(h.client('http1').request({ path: '/version' }));
  });
});

describe('watches multiplexed on one HTTP/2 connection', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  it('delivers every watch its event while other requests pass on the same session', async () => {
    const c = h.client('h2c') as H2cClient;
    const keys = Array.from({ length: 40 }, (_, i) => `/v2/keys/mux/k${i}`);
    const polls = await Promise.all(keys.map((k) => c.open({ path: `${k}?wait=true` })));
    const version = await c.request({ path: '/version' });
    assert.equal(version.status, 200);
    await Promise.all(keys.map((k, i) => c.request({ method: 'PUT', path: k, body: `value=${i}` })));
    const values = await Promise.all(polls.map(async (p) => JSON.parse(await p.rest()).node.value as string));
    assert.deepEqual(
      values,
      keys.map((_, i) => String(i)),
    );
  });
});
