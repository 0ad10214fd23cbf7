// Recovering the head of a request whose method Node's parser refused.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recoverHead } from '../../lib/api/refused-head.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('recoverHead', () => {
  it('recovers method, target, version and headers', () => {
    const r = recoverHead(bytes('get /v2/keys/a?x=1 HTTP/1.0\r\nHost: h\r\nX-A:  1 \r\nhost: other\r\n\r\n'), 0);
    assert.deepEqual(r === null ? null : { ...r, headers: { ...r.headers } }, {
      method: 'get',
      target: '/v2/keys/a?x=1',
      versionMinor: 0,
      headers: { host: 'h', 'x-a': '1' },
    });
  });

  it('finds a method that follows the body of the request before it without a line break', () => {
    const r = recoverHead(
      bytes('PUT /a HTTP/1.1\r\nContent-Length: 7\r\n\r\nvalue=1get /b HTTP/1.1\r\nHost: h\r\n\r\n'),
      45,
    );
    assert.equal(r?.method, 'get');
    assert.equal(r?.target, '/b');
  });

  it('starts the method where the longest prefix of a known method before the refused byte begins', () => {
    assert.equal(recoverHead(bytes('Put /a HTTP/1.1\r\n\r\n'), 1)?.method, 'Put');
  });

  it('never recovers a method Node knows, which a body byte taken for part of the method could make', () => {
    assert.equal(recoverHead(bytes('PUT /a HTTP/1.1\r\nHost: h\r\n\r\n'), 2), null);
  });

  it('gives null when the head is not complete in the bytes', () => {
    assert.equal(recoverHead(bytes('get /a HTTP/1.1\r\nHost: h\r\n'), 0), null);
  });

  it('gives null for a head Go would not parse', () => {
    for (const head of [
      'get /a HTTP/2.0\r\n\r\n',
      'get  /a HTTP/1.1\r\n\r\n',
      'get /a HTTP/1.1\r\nno colon\r\n\r\n',
      'get /a HTTP/1.1\r\nBad Name: v\r\n\r\n',
      'g(t /a HTTP/1.1\r\n\r\n',
    ]) {
      assert.equal(recoverHead(bytes(head), 0), null, JSON.stringify(head));
    }
  });
});
