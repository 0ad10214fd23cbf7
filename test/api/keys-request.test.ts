// parseKeyRequest against what etcd 3.4 answered for the same input (observed
// with curl on a real etcd --enable-v2).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { V2Error } from '../../lib/store/errors.js';
import { MAX_TTL_SECONDS } from '../../lib/store/index.js';
import { parseKeyRequest, type KeyHttpRequest, type KeyMethod, type KeyOperation } from '../../lib/api/keys-request.js';

const FORM = 'application/x-www-form-urlencoded';

/** `contentType` null: no Content-Type header; by default a form when there is a body. */
function req(method: KeyMethod, query: string, body?: string, contentType?: string | null): KeyHttpRequest {
  const type = contentType === null ? undefined : (contentType ?? (body === undefined ? undefined : FORM));
  return {
    method,
    keyPath: '/k',
    rawQuery: query,
    contentType: type,
    body: body === undefined ? null : Buffer.from(body, 'latin1'),
  };
}

function error(r: KeyHttpRequest): { code: number; cause: string; status: number } {
  const out = parseKeyRequest(r);
  assert.ok(out instanceof V2Error, `expected an error, got ${JSON.stringify(out)}`);
  return { code: out.errorCode, cause: out.cause, status: out.status };
}

function ok(r: KeyHttpRequest): KeyOperation {
  const out = parseKeyRequest(r);
  assert.ok(!(out instanceof V2Error), `expected success, got ${out instanceof V2Error ? out.cause : ''}`);
  return out;
}

/** The write's fields that carry a value: a condition left undefined is not checked, as one left out. */
function putRequest(r: KeyHttpRequest): Record<string, unknown> {
  const op = ok(r);
  assert.equal(op.kind, 'write');
  return op.kind === 'write' ? Object.fromEntries(Object.entries(op.request).filter(([, v]) => v !== undefined)) : {};
}

describe('keys request errors as etcd answers them', () => {
  const cases: Array<[string, KeyHttpRequest, number, string]> = [
    ['bad boolean recursive', req('GET', 'recursive=maybe'), 209, 'invalid value for "recursive"'],
    ['bad boolean sorted', req('GET', 'sorted=x'), 209, 'invalid value for "sorted"'],
    ['"yes" is not a Go boolean', req('GET', 'wait=yes'), 209, 'invalid value for "wait"'],
    ['bad boolean dir', req('GET', 'dir=2'), 209, 'invalid value for "dir"'],
    ['bad boolean quorum', req('GET', 'quorum=yes'), 209, 'invalid value for "quorum"'],
    ['bad boolean stream', req('GET', 'stream=on'), 209, 'invalid value for "stream"'],
    ['empty boolean', req('GET', 'recursive='), 209, 'invalid value for "recursive"'],
    [
      'only the first duplicate counts',
      req('GET', 'recursive=bad&recursive=true'),
      209,
      'invalid value for "recursive"',
    ],
    ['bad noValueOnSuccess', req('PUT', 'noValueOnSuccess=q'), 209, 'invalid value for "noValueOnSuccess"'],
    ['bad prevExist (cause without quotes)', req('PUT', 'prevExist=q'), 209, 'invalid value for prevExist'],
    ['bad refresh (cause without quotes)', req('PUT', 'refresh=q'), 209, 'invalid value for refresh'],
    ['waitIndex not a number', req('GET', 'waitIndex=abc'), 203, 'invalid value for "waitIndex"'],
    ['negative waitIndex', req('GET', 'waitIndex=-1'), 203, 'invalid value for "waitIndex"'],
    ['empty waitIndex', req('GET', 'waitIndex='), 203, 'invalid value for "waitIndex"'],
    ['waitIndex with a plus sign', req('GET', 'waitIndex=%2B1'), 203, 'invalid value for "waitIndex"'],
    ['hex waitIndex', req('GET', 'waitIndex=0x10'), 203, 'invalid value for "waitIndex"'],
    ['waitIndex with an underscore', req('GET', 'waitIndex=1_0'), 203, 'invalid value for "waitIndex"'],
    ['waitIndex above 2^64-1', req('GET', 'waitIndex=18446744073709551616'), 203, 'invalid value for "waitIndex"'],
    ['prevIndex not a number', req('PUT', 'prevIndex=x'), 203, 'invalid value for "prevIndex"'],
    [
      'prevIndex is checked before waitIndex',
      req('GET', 'waitIndex=x&prevIndex=y'),
      203,
      'invalid value for "prevIndex"',
    ],
    [
      'prevIndex above 2^64-1 on PUT',
      req('PUT', 'prevIndex=18446744073709551616'),
      203,
      'invalid value for "prevIndex"',
    ],
    [
      'prevIndex above 2^64-1 on DELETE',
      req('DELETE', 'prevIndex=18446744073709551616'),
      203,
      'invalid value for "prevIndex"',
    ],
    ['negative prevIndex', req('DELETE', 'prevIndex=-1'), 203, 'invalid value for "prevIndex"'],
    ['ttl not a number', req('PUT', 'ttl=x'), 202, 'invalid value for "ttl"'],
    ['ttl above 2^64-1', req('PUT', 'ttl=18446744073709551616'), 202, 'invalid value for "ttl"'],
    ['negative ttl', req('PUT', 'ttl=-1'), 202, 'invalid value for "ttl"'],
    ['wait on PUT', req('PUT', 'wait=true'), 209, '"wait" can only be used with GET requests'],
    ['wait on HEAD', req('HEAD', 'wait=true'), 209, '"wait" can only be used with GET requests'],
    ['empty prevValue in the body', req('PUT', '', 'value=1&prevValue='), 201, '"prevValue" cannot be empty'],
    ['empty prevValue on DELETE', req('DELETE', 'prevValue='), 201, '"prevValue" cannot be empty'],
    ['refresh without ttl', req('PUT', 'refresh=true'), 212, 'No TTL value set'],
    ['refresh with an empty ttl', req('PUT', '', 'refresh=true&value=&ttl='), 212, 'No TTL value set'],
    ['refresh with a value', req('PUT', '', 'refresh=true&value=x&ttl=5'), 211, 'A value was provided on a refresh'],
    ['bad escape in the query', req('GET', 'recursive=%zz'), 210, 'invalid URL escape "%zz"'],
    ['truncated escape at the end', req('GET', 'a=%2'), 210, 'invalid URL escape "%2"'],
    ['lone percent', req('GET', 'a=%'), 210, 'invalid URL escape "%"'],
    ['escape error quotes UTF-8 as Go does', req('PUT', '', 'value=%\xc3\xa9'), 210, 'invalid URL escape "%é"'],
    ['escape error quotes invalid bytes as \\x', req('PUT', '', 'value=%\xff'), 210, 'invalid URL escape "%\\xff"'],
    ['semicolon in the query', req('GET', 'a;b=1'), 210, 'invalid semicolon separator in query'],
    [
      'a semicolon error wins over an earlier escape error',
      req('GET', 'a=%zz&b;c'),
      210,
      'invalid semicolon separator in query',
    ],
    ['the first escape error wins', req('GET', 'a=%zz&b=%yy'), 210, 'invalid URL escape "%zz"'],
    ['a body error wins over a query error', req('PUT', 'b=%yy', 'a=%zz'), 210, 'invalid URL escape "%zz"'],
    ['bad media type parameter', req('PUT', '', 'value=1', `${FORM}; bad`), 210, 'mime: invalid media parameter'],
    ['no media type', req('PUT', '', 'value=1', ';;'), 210, 'mime: no media type'],
    [
      'duplicate media parameter',
      req('PUT', '', 'value=1', 'text/plain; a=1; a=2'),
      210,
      'mime: duplicate parameter name',
    ],
    ['body over 10 MiB', { ...req('PUT', ''), contentType: FORM, body: 'too-large' }, 210, 'http: POST too large'],
  ];
  for (const [name, r, code, cause] of cases) {
    it(name, () => {
      const e = error(r);
      assert.deepEqual({ code: e.code, cause: e.cause }, { code, cause });
      assert.equal(e.status, 400);
    });
  }
});

describe('keys request parsing', () => {
  it('accepts every spelling of a Go boolean', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) {
      const op = ok(req('GET', `recursive=${t}`));
      assert.equal(op.kind === 'read' && op.options.recursive, true, t);
    }
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) {
      const op = ok(req('GET', `recursive=${f}`));
      assert.equal(op.kind === 'read' && op.options.recursive, false, f);
    }
  });

  it('uses the first of duplicated values', () => {
    const op = ok(req('GET', 'recursive=true&recursive=bad'));
    assert.equal(op.kind === 'read' && op.options.recursive, true);
  });

  it('maps GET to a read with recursive, sorted and quorum', () => {
    assert.deepEqual(ok(req('GET', 'recursive=true&sorted=true&quorum=true')), {
      kind: 'read',
      path: '/k',
      options: { recursive: true, sorted: true, quorum: true },
    });
  });

  it('maps GET wait=true to a watch from waitIndex', () => {
    assert.deepEqual(ok(req('GET', 'wait=true&waitIndex=7&recursive=true&stream=true')), {
      kind: 'watch',
      path: '/k',
      options: { recursive: true, stream: true, sinceIndex: 7 },
    });
  });

  it('treats waitIndex=0 as no index', () => {
    const op = ok(req('GET', 'wait=true&waitIndex=0'));
    assert.equal(op.kind === 'watch' && op.options.sinceIndex, null);
  });

  it('accepts the largest uint64 waitIndex', () => {
    const op = ok(req('GET', 'wait=true&waitIndex=18446744073709551615'));
    assert.equal(op.kind, 'watch');
  });

  it('turns a quorum GET that asks to wait into a linearizable read, as etcd does', () => {
    assert.equal(ok(req('GET', 'wait=true&quorum=true')).kind, 'read');
  });

  it('never makes HEAD a quorum read', () => {
    const op = ok(req('HEAD', 'quorum=true'));
    assert.equal(op.kind === 'read' && op.options.quorum, false);
  });

  it('maps a plain PUT to a put without preconditions', () => {
    assert.deepEqual(putRequest(req('PUT', '', 'value=v')), {
      op: 'put',
      path: '/k',
      value: 'v',
      dir: false,
      ttl: null,
      refresh: false,
    });
  });

  it('carries prevValue, prevIndex and prevExist into the put', () => {
    assert.deepEqual(putRequest(req('PUT', 'prevValue=a&prevIndex=3&prevExist=true', 'value=v')), {
      op: 'put',
      path: '/k',
      value: 'v',
      dir: false,
      ttl: null,
      refresh: false,
      prevValue: 'a',
      prevIndex: 3n,
      prevExist: true,
    });
  });

  it('treats prevIndex=0 as no precondition', () => {
    assert.equal('prevIndex' in putRequest(req('PUT', 'prevIndex=0')), false);
  });

  it('prefers body values over query values', () => {
    assert.equal(putRequest(req('PUT', 'value=q', 'value=b')).value, 'b');
  });

  it('decodes + as a space and %XX as UTF-8', () => {
    assert.equal(putRequest(req('PUT', '', 'value=a+b%20c%C3%A9')).value, 'a b cé');
  });

  it('reads a form body whatever the media type spelling', () => {
    for (const ct of [`${FORM}; charset=utf-8`, 'APPLICATION/X-WWW-FORM-URLENCODED', `${FORM};`, `${FORM} ; q=1`]) {
      assert.equal(putRequest(req('PUT', '', 'value=f', ct)).value, 'f', ct);
    }
  });

  it('ignores bodies that are not urlencoded forms', () => {
    for (const ct of ['application/json', '', 'multipart/form-data; boundary=x', 'text/plain; charset=%zz', null]) {
      assert.equal(putRequest(req('PUT', '', 'value=f', ct)).value, '', String(ct));
    }
  });

  it('ignores a DELETE body', () => {
    assert.equal(ok(req('DELETE', '', 'recursive=bad')).kind, 'write');
  });

  it('ignores a GET body', () => {
    assert.equal(ok(req('GET', '', 'recursive=bad')).kind, 'read');
  });

  it('treats an empty ttl as permanent', () => {
    assert.equal(putRequest(req('PUT', 'ttl=', 'value=v')).ttl, null);
  });

  it('keeps ttl=0 (the key expires at once)', () => {
    assert.equal(putRequest(req('PUT', 'ttl=0', 'value=v')).ttl, 0);
  });

  it('carries a prevIndex beyond 2^53 exactly, up to 2^64-1, on PUT and DELETE', () => {
    for (const text of ['9007199254740992', '9007199254740993', '18446744073709551615', '000018446744073709551615']) {
      assert.equal(putRequest(req('PUT', `prevIndex=${text}`, 'value=v')).prevIndex, BigInt(text), text);
      assert.equal(putRequest(req('DELETE', `prevIndex=${text}`)).prevIndex, BigInt(text), text);
    }
  });

  it('takes a waitIndex up to 2^64-1, waiting past every index the store reaches', () => {
    for (const text of ['9007199254740993', '18446744073709551615']) {
      const op = ok(req('GET', `wait=true&waitIndex=${text}`));
      assert.ok(
        op.kind === 'watch' && op.options.sinceIndex !== null && op.options.sinceIndex > Number.MAX_SAFE_INTEGER,
        text,
      );
    }
  });

  it('clamps a ttl beyond what the store represents to the longest one, which fits the log', () => {
    for (const text of ['18446744073709551615', '9223372036854775808', String(MAX_TTL_SECONDS + 1)]) {
      assert.equal(putRequest(req('PUT', `ttl=${text}`, 'value=v')).ttl, MAX_TTL_SECONDS, text);
      assert.equal(putRequest(req('POST', `ttl=${text}`, 'value=v')).ttl, MAX_TTL_SECONDS, text);
    }
    assert.equal(putRequest(req('PUT', `ttl=${MAX_TTL_SECONDS - 1}`, 'value=v')).ttl, MAX_TTL_SECONDS - 1);
  });

  it('accepts a refresh with a ttl and no value', () => {
    const r = putRequest(req('PUT', '', 'refresh=true&ttl=5'));
    assert.equal(r.refresh, true);
    assert.equal(r.ttl, 5);
  });

  it('maps POST to an in-order create', () => {
    assert.deepEqual(putRequest(req('POST', 'dir=true&ttl=9', 'value=x')), {
      op: 'post',
      path: '/k',
      value: 'x',
      dir: true,
      ttl: 9,
    });
  });

  it('maps DELETE with its conditions', () => {
    assert.deepEqual(putRequest(req('DELETE', 'dir=true&recursive=true&prevValue=a&prevIndex=4')), {
      op: 'delete',
      path: '/k',
      dir: true,
      recursive: true,
      prevValue: 'a',
      prevIndex: 4n,
    });
  });

  it('reports noValueOnSuccess', () => {
    const op = ok(req('PUT', 'noValueOnSuccess=true', 'value=v'));
    assert.equal(op.kind === 'write' && op.noValueOnSuccess, true);
  });

  it('joins the key path as etcd does', () => {
    const path = (keyPath: string): string => {
      const op = ok({ ...req('GET', ''), keyPath });
      return op.kind === 'read' ? op.path : '';
    };
    assert.equal(path(''), '/');
    assert.equal(path('/'), '/');
    assert.equal(path('/a/b/'), '/a/b');
    assert.equal(path('/a\u0000b'), '/a\u0000b');
  });
});
