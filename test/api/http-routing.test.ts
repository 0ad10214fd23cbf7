// What happens before an endpoint: Go's request parsing, etcd's CORS
// handler and Go's ServeMux (clean-path redirects, 404s), as etcd 3.4 answered.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawExchange, startApi, type Harness, type Protocol } from './support/clients.js';

describe('routing', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  for (const protocol of ['http1', 'h2c'] as Protocol[]) {
    it(`answers unknown paths with Go's 404 page (${protocol})`, async () => {
      const c = h.client(protocol);
      for (const path of [
        '/nope',
        '/v2',
        '/v2/keysx',
        '/v2/stats',
        '/v2/stats/self/',
        '/v2/machines/',
        '/version/',
        '/',
        '/metrics',
      ]) {
        const r = await c.request({ path });
        assert.equal(r.status, 404, path);
        assert.equal(r.body, '404 page not found\n', path);
        assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8', path);
        assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
        assert.equal(r.headers['access-control-allow-origin'], '*', path);
      }
    });

    it(`answers OPTIONS on any path with an empty 200 (${protocol})`, async () => {
      const c = h.client(protocol);
      for (const path of ['/v2/keys/a', '/nope']) {
        const r = await c.request({ method: 'OPTIONS', path });
        assert.equal(r.status, 200);
        assert.equal(r.body, '');
        assert.equal(r.headers['content-length'], '0');
        assert.equal(r.headers['content-type'], undefined);
        assert.equal(r.headers['access-control-allow-methods'], 'POST, GET, OPTIONS, PUT, DELETE');
      }
    });

    it(`redirects an unclean GET path with 301 and an HTML body (${protocol})`, async () => {
      const c = h.client(protocol);
      const r = await c.request({ path: '/v2/keys/a/../b//c?x=%zz&y' });
      assert.equal(r.status, 301);
      assert.equal(r.headers.location, '/v2/keys/b/c?x=%zz&y');
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(r.body, '<a href="/v2/keys/b/c?x=%zz&amp;y">Moved Permanently</a>.\n\n');
    });
  }

  it('redirects a PUT without a body or content type', async () => {
    const r = await h.client('http1').request({ method: 'PUT', path: '/v2/keys/x/../y?value=1' });
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/v2/keys/y?value=1');
    assert.equal(r.headers['content-length'], '0');
    assert.equal(r.headers['content-type'], undefined);
  });

  it('redirects a HEAD with a content type but no length', async () => {
    const r = await rawExchange(h.port, 'HEAD /v2/keys//a HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(r.text, /^HTTP\/1\.1 301 Moved Permanently\r\n/);
    assert.match(r.text, /\r\nContent-Type: text\/html; charset=utf-8\r\n/);
    assert.match(r.text, /\r\nLocation: \/v2\/keys\/a\r\n/);
    assert.doesNotMatch(r.text, /Content-Length/);
  });

  it('escapes the redirect target as Go does, keeping raw bytes', async () => {
    const r = await h.client('http1').request({ path: "/v2/keys/./x%20y%C3%A9%3C%22%C3/q'&" });
    assert.equal(r.headers.location, '/v2/keys/x%20y%C3%A9%3C%22%C3/q%27&');
  });

  it('redirects paths that leave /v2/keys', async () => {
    const r = await h.client('http1').request({ path: '/v2/keys/%2e%2e' });
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/v2');
  });

  it('does not redirect a trailing slash', async () => {
    const r = await h.client('http1').request({ path: '/v2/keys/none/' });
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).errorCode, 100);
  });

  it('keeps NUL bytes in keys', async () => {
    const r = await h.client('http1').request({ path: '/v2/keys/a%00b' });
    assert.equal(JSON.parse(r.body).cause, '/a\u0000b');
  });

  it('answers a bad escape in the path as Go does and closes the connection', async () => {
    const r = await rawExchange(h.port, 'GET /v2/keys/a%zz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(r.closed, true);
    assert.match(r.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(r.text, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
    assert.match(r.text, /\r\nConnection: close\r\n/);
    assert.doesNotMatch(r.text, /Access-Control|Date:|Content-Length:|Transfer-Encoding:/);
    assert.ok(r.text.endsWith('\r\n\r\n400 Bad Request'));
  });

  it('answers a request without Host as Go does', async () => {
    const r = await rawExchange(h.port, 'GET /v2/keys/a HTTP/1.1\r\n\r\n');
    assert.equal(r.closed, true);
    assert.equal(
      r.text,
      'HTTP/1.1 400 Bad Request: missing required Host header\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: missing required Host header',
    );
  });

  it('answers an unparsable request line with 400 and closes', async () => {
    const r = await rawExchange(h.port, 'GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(r.closed, true);
    assert.match(r.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  it('serves an absolute-form request target', async () => {
    const r = await rawExchange(h.port, 'GET http://example:9/v2/keys/abs HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(r.text, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(r.text, /"cause":"\/abs"/);
  });

  it('serves several requests on one kept-alive HTTP/1.1 connection', async () => {
    const one = 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n';
    const r = await rawExchange(h.port, one + one + one);
    assert.equal(r.text.match(/HTTP\/1\.1 200 OK/g)?.length, 3);
    assert.equal(r.closed, false);
  });
});
