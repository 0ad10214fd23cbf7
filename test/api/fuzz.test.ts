// Random requests never break the parser or the server: every input becomes
// a well-formed operation or an etcd-style error.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { V2Error } from '../../lib/store/errors.js';
import { GoError } from '../../lib/api/go-url.js';
import { KEY_METHODS, parseKeyRequest, type KeyHttpRequest } from '../../lib/api/keys-request.js';
import { parseTarget } from '../../lib/api/router.js';
import { startApi, type Harness } from './support/clients.js';

const FIELDS = [
  'value',
  'ttl',
  'dir',
  'recursive',
  'sorted',
  'wait',
  'waitIndex',
  'stream',
  'quorum',
  'prevValue',
  'prevIndex',
  'prevExist',
  'refresh',
  'noValueOnSuccess',
  'x',
];
const VALUES = [
  '',
  'true',
  'false',
  '1',
  '0',
  't',
  'F',
  'maybe',
  '-1',
  '5',
  '18446744073709551616',
  '%zz',
  '%',
  '%4',
  'a+b',
  '%C3%A9',
  '%00',
  ';',
  'é',
];

const fieldValue = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.string({ maxLength: 8 }),
  fc.stringMatching(/^[0-9]{1,22}$/),
);
const pair = fc
  .tuple(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 5 })), fieldValue)
  .map(([k, v]) => `${k}=${v}`);
const query = fc.oneof(
  fc.array(pair, { maxLength: 6 }).map((ps) => ps.join('&')),
  fc.string({ maxLength: 40 }),
);
const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=utf-8',
      'application/json',
      ';;',
      'a/b; x=1; x=1',
      'text/plain; q="',
    ),
    fc.string({ maxLength: 30 }),
  ),
  { nil: undefined },
);
const body = fc.oneof(
  fc.constant(null),
  fc.constant('too-large' as const),
  query.map((q) => Buffer.from(q, 'utf8')),
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
);
const keyPath = fc.oneof(
  fc.constant(''),
  fc
    .array(fc.oneof(fc.constantFrom('', '.', '..', 'a', '_h', '\u0000'), fc.string({ maxLength: 6 })), { maxLength: 5 })
    .map((s) => '/' + s.join('/')),
);

const request: fc.Arbitrary<KeyHttpRequest> = fc.record({
  method: fc.constantFrom(...KEY_METHODS),
  keyPath,
  rawQuery: query,
  contentType,
  body,
});

const PARSE_ERROR_CODES = new Set([201, 202, 203, 209, 210, 211, 212]);

describe('request parser fuzz', () => {
  it('turns any keys request into an operation or a 400 V2Error with index 0', () => {
    fc.assert(
      fc.property(request, (req) => {
        const out = parseKeyRequest(req);
        if (out instanceof V2Error) {
          assert.ok(PARSE_ERROR_CODES.has(out.errorCode), `unexpected code ${out.errorCode}`);
          assert.equal(out.status, 400);
          assert.equal(out.index, 0);
          assert.equal(typeof out.cause, 'string');
          return;
        }
        if (out.kind === 'write') assert.notEqual(out.request.op, 'sync');
        const path = out.kind !== 'write' ? out.path : out.request.op === 'sync' ? '' : out.request.path;
        assert.ok(path.startsWith('/'), path);
        assert.ok(path === '/' || !path.endsWith('/'), path);
        assert.ok(!path.includes('//') && !/\/\.\.?(\/|$)/.test(path), path);
        switch (out.kind) {
          case 'read':
            assert.ok(req.method === 'GET' || req.method === 'HEAD');
            break;
          case 'watch':
            assert.equal(req.method, 'GET');
            assert.ok(out.options.sinceIndex === null || out.options.sinceIndex > 0);
            break;
          case 'write': {
            const r = out.request;
            assert.equal(r.op, req.method === 'PUT' ? 'put' : req.method === 'POST' ? 'post' : 'delete');
            if (r.op === 'put' || r.op === 'post') assert.ok(r.ttl === null || (Number.isInteger(r.ttl) && r.ttl >= 0));
            if (r.op === 'put' || r.op === 'delete') {
              assert.ok(r.prevValue === undefined || r.prevValue !== '');
              assert.ok(r.prevIndex === undefined || r.prevIndex > 0);
            }
            break;
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('splits any request target into a path and query, or a Go error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (target) => {
        const out = parseTarget(target);
        if (out instanceof GoError) return;
        assert.equal(typeof out.path, 'string');
        assert.ok(!/[\u0100-\uffff]/.test(out.path), 'path is a byte string');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('HTTP fuzz', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  const method = fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'X-CUSTOM');
  const segment = fc.oneof(
    fc.constantFrom(
      'v2',
      'keys',
      'members',
      'stats',
      'self',
      'leader',
      'store',
      'machines',
      'version',
      'health',
      'metrics',
      '.',
      '..',
      '',
      '%2e',
      '%2F',
      '%00',
      '%zz',
      'leader',
    ),
    fc.string({ maxLength: 6 }).map((s) => encodeURIComponent(s)),
  );
  const path = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => '/' + s.join('/'));
  const q = fc
    .array(
      pair.map((p) => p.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)).replace(/#/g, '%23')),
      { maxLength: 5 },
    )
    .map((ps) => (ps.length ? '?' + ps.join('&') : ''));
  const httpBody = fc.option(fc.oneof(query, fc.constant('{"peerURLs":["http://f:1"]}')), { nil: undefined });
  const ctype = fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', ';;');

  it('answers every random request with an HTTP status and keeps serving', async () => {
    const c = h.client('http1');
    await fc.assert(
      fc.asyncProperty(method, path, q, httpBody, ctype, async (m, p, qs, b, ct) => {
        const r = await c.request({
          method: m,
          path: p + qs,
          ...(b === undefined ? {} : { body: b, headers: { 'Content-Type': ct } }),
        });
        assert.ok(r.status >= 200 && r.status < 600 && r.status !== 500, `${m} ${p}${qs} -> ${r.status} ${r.body}`);
      }),
      { numRuns: 150 },
    );
    assert.equal((await c.request({ path: '/health' })).status, 200);
  });
});
