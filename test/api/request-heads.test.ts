// Request heads Node's parsers would refuse where Go serves them: header
// blocks up to Go's 1 MiB (Node: 16 KiB on HTTP/1.1, about 144 KiB of
// 16 KiB frames on HTTP/2) and methods Node does not know (etcd: 405 with
// Allow, or whatever the endpoint answers to any method).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { H2cClient, pipelined, rawH2Get, rawRequest, startApi, type Harness } from './support/clients.js';

/** Go's limit on a request head: http.DefaultMaxHeaderBytes plus 4096 bytes of slack. */
const GO_MAX_HEADER_BYTES = (1 << 20) + 4096;

function headOf(filler: number): string {
  return `GET /v2/keys/ HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(filler)}\r\n\r\n`;
}

describe('request heads', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  it('serves an HTTP/1.1 request whose head is just under 1 MiB + 4 KiB', async () => {
    const bytes = headOf(GO_MAX_HEADER_BYTES - headOf(0).length - 100);
    const r = await pipelined(h.port, bytes, 1);
    assert.deepEqual(
      r.responses.map((x) => x.status),
      [200],
    );
  });

  it('answers an HTTP/1.1 head over 1 MiB + 4 KiB with 431', async () => {
    const r = await pipelined(h.port, headOf(GO_MAX_HEADER_BYTES), 1);
    assert.deepEqual(
      r.responses.map((x) => x.status),
      [431],
    );
  });

  it('serves an HTTP/2 request with 1 MiB of headers sent in frames of the size the server allows', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 20; i++) headers[`x-filler-${i}`] = 'b'.repeat(50_000);
    assert.equal(await rawH2Get(h.port, '/v2/keys/', headers, 1 << 17), 'response');
  });

  it('serves an HTTP/2 request with 2000 header fields', async () => {
    const c = new H2cClient(h.url);
    try {
      const headers: Record<string, string> = {};
      for (let i = 0; i < 1990; i++) headers[`x-f${i}`] = 'v';
      const r = await c.request({ path: '/v2/keys/', headers });
      assert.equal(r.status, 200);
    } finally {
      c.close();
    }
  });
});

describe('methods Node does not know', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  const cases: [method: string, path: string, status: number, allow: string | undefined][] = [
    ['get', '/v2/keys/a', 405, 'HEAD,GET,PUT,POST,DELETE'],
    ['FOO', '/v2/keys/a', 405, 'HEAD,GET,PUT,POST,DELETE'],
    ['Put', '/v2/members', 405, 'GET,POST,DELETE,PUT'],
    ['get', '/version', 405, 'GET'],
    ['get', '/nope', 404, undefined],
    ['CONNECT', '/v2/keys/a', 405, 'HEAD,GET,PUT,POST,DELETE'],
    ['CONNECT', 'example.com:443', 404, undefined],
  ];
  for (const [method, path, status, allow] of cases) {
    it(`answers ${method} ${path} over HTTP/1.1 as etcd does (${status}), then closes`, async () => {
      // Waiting for one more response than can come reads until the server closes.
      const r = await pipelined(h.port, rawRequest(method, path) + rawRequest('GET', '/version'), 2);
      assert.deepEqual(
        r.responses.map((x) => [x.status, x.headers.allow, x.headers.connection]),
        [[status, allow, 'close']],
      );
      assert.equal(r.closed, true);
    });
  }

  it('answers an unknown method in its turn after the pipelined requests before it', async () => {
    const r = await pipelined(
      h.port,
      rawRequest('PUT', '/v2/keys/m/k', 'value=1') + rawRequest('get', '/v2/keys/m/k'),
      2,
    );
    assert.deepEqual(
      r.responses.map((x) => x.status),
      [201, 405],
    );
    assert.equal(r.responses[1]!.body, 'Method Not Allowed\n');
  });

  it("answers an unknown method without Host with Go's 400", async () => {
    const r = await pipelined(h.port, 'get /v2/keys/a HTTP/1.1\r\n\r\n', 1);
    assert.deepEqual(
      r.responses.map((x) => x.status),
      [400],
    );
    assert.equal(r.responses[0]!.body, '400 Bad Request: missing required Host header');
  });

  it("answers a method that is not a token with Go's 400", async () => {
    const r = await pipelined(h.port, 'G(T /v2/keys/a HTTP/1.1\r\nHost: x\r\n\r\n', 1);
    assert.deepEqual(
      r.responses.map((x) => x.status),
      [400],
    );
  });

  it('answers lower-case and unknown methods over HTTP/2 with 405 and Allow', async () => {
    const c = new H2cClient(h.url);
    try {
      for (const method of ['get', 'FOO']) {
        const r = await c.request({ method, path: '/v2/keys/a' });
        assert.equal(r.status, 405, method);
        assert.equal(r.headers.allow, 'HEAD,GET,PUT,POST,DELETE', method);
      }
    } finally {
      c.close();
    }
  });
});
