// HTTP/1.1 pipelining (RFC 7230 6.3.2): requests sent back to back on one
// connection take effect in the order they arrived, as Go's server (which
// reads the next request only after answering the last) makes them for etcd.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pipelined, rawRequest, startApi, type Harness } from './support/clients.js';

describe('pipelined HTTP/1.1 requests', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  it('take effect in the order they arrived: set, get, compare-and-swap, compare-and-delete', async () => {
    const r = await pipelined(
      h.port,
      [
        rawRequest('PUT', '/v2/keys/pipe/k', 'value=1'),
        rawRequest('GET', '/v2/keys/pipe/k'),
        rawRequest('PUT', '/v2/keys/pipe/k?prevValue=1', 'value=2'),
        rawRequest('DELETE', '/v2/keys/pipe/k?prevValue=2'),
      ].join(''),
      4,
    );
    assert.deepEqual(
      r.responses.map((x) => x.status),
      [201, 200, 200, 200],
    );
    assert.deepEqual(
      r.responses.map((x) => (JSON.parse(x.body) as { action: string }).action),
      ['set', 'get', 'compareAndSwap', 'compareAndDelete'],
    );
    assert.throws(() => h.service.store.get('/pipe/k', false, false, Date.now()), /Key not found/);
  });

  it('are all answered, in order, when more arrive at once than are parsed ahead', async () => {
    const count = 600;
    const bytes = Array.from({ length: count }, (_, i) => rawRequest('PUT', '/v2/keys/pipe/many', `value=${i}`)).join(
      '',
    );
    const r = await pipelined(h.port, bytes, count);
    assert.equal(r.responses.length, count);
    assert.deepEqual(
      r.responses.map((x) => (JSON.parse(x.body) as { node: { value: string } }).node.value),
      Array.from({ length: count }, (_, i) => String(i)),
    );
    assert.equal(h.service.store.get('/pipe/many', false, false, Date.now()).node!.value, String(count - 1));
  });

  it('do not run past a request that closes the connection', async () => {
    const r = await pipelined(
      h.port,
      [
        rawRequest('PUT', '/v2/keys/pipe/first', 'value=1', ['Host: x', 'Connection: close']),
        rawRequest('PUT', '/v2/keys/pipe/second', 'value=2'),
      ].join(''),
      2,
    );
    assert.deepEqual(
      r.responses.map((x) => x.status),
      [201],
    );
    assert.equal(r.closed, true);
    assert.throws(() => h.service.store.get('/pipe/second', false, false, Date.now()), /Key not found/);
  });

  it('answer a request the parser refuses after the ones before it', async () => {
    const r = await pipelined(
      h.port,
      rawRequest('PUT', '/v2/keys/pipe/before', 'value=1') + 'GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n',
      2,
    );
    assert.deepEqual(
      r.responses.map((x) => x.status),
      [201, 400],
    );
    assert.equal(r.closed, true);
  });
});
