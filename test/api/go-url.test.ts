import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cleanPath,
  escapePath,
  GoError,
  goQuote,
  htmlEscape,
  parseMediaType,
  parseQuery,
  unescape,
} from '../../lib/api/go-url.js';
import { parseTarget } from '../../lib/api/router.js';

describe('Go url helpers', () => {
  it('cleans paths as ServeMux does, keeping a trailing slash', () => {
    const cases: Array<[string, string]> = [
      ['/v2/keys/a', '/v2/keys/a'],
      ['/v2/keys/a/', '/v2/keys/a/'],
      ['/v2/keys//a', '/v2/keys/a'],
      ['/v2/keys/./a', '/v2/keys/a'],
      ['/v2/keys/a/../b', '/v2/keys/b'],
      ['/v2/keys/..', '/v2'],
      ['/v2/keys/a/..', '/v2/keys'],
      ['/v2/keys/./', '/v2/keys/'],
      ['//v2/keys/a', '/v2/keys/a'],
      ['/../..', '/'],
      ['', '/'],
      ['v2', '/v2'],
    ];
    for (const [input, want] of cases) assert.equal(cleanPath(input), want, input);
  });

  it('escapes paths as Go does for a Location header', () => {
    assert.equal(escapePath('/v2/keys/x y\xc3\xa9<"\'&'), '/v2/keys/x%20y%C3%A9%3C%22%27&');
    assert.equal(escapePath('/a-_.~$&+,:;=@b'), '/a-_.~$&+,:;=@b');
    assert.equal(escapePath('/a?b#c%'), '/a%3Fb%23c%25');
  });

  it('escapes HTML as net/http Redirect does', () => {
    assert.equal(htmlEscape(`<a href="x">&'`), '&lt;a href=&#34;x&#34;&gt;&amp;&#39;');
  });

  it('unescapes %XX everywhere and + only in queries', () => {
    assert.equal(unescape('a+b%41', true), 'a bA');
    assert.equal(unescape('a+b%41', false), 'a+bA');
    assert.ok(unescape('%4g', false) instanceof GoError);
  });

  it('quotes like strconv.Quote', () => {
    assert.equal(goQuote('%zz'), '"%zz"');
    assert.equal(goQuote('%\x01\x7f'), '"%\\x01\\x7f"');
    assert.equal(goQuote('%\xe2\x82'), '"%\\xe2\\x82"');
    assert.equal(goQuote('"\\\n'), '"\\"\\\\\\n"');
    assert.equal(goQuote('\xc2\xa0'), '"\\u00a0"');
  });

  it('splits a query into values in order, skipping empty parts', () => {
    const form = new Map<string, string[]>();
    assert.equal(parseQuery('a=1&&b&a=2&=x', form), null);
    assert.deepEqual(
      [...form],
      [
        ['a', ['1', '2']],
        ['b', ['']],
        ['', ['x']],
      ],
    );
  });

  it('parses media types like mime.ParseMediaType', () => {
    assert.deepEqual(parseMediaType('Text/Plain; charset="utf-8"'), { type: 'text/plain', error: null });
    assert.equal(parseMediaType('text/').error?.message, 'mime: expected token after slash');
    assert.equal(parseMediaType('text/plain x').error?.message, 'mime: unexpected content after media subtype');
    assert.equal(parseMediaType('text plain').error?.message, 'mime: expected slash after first token');
    assert.equal(parseMediaType('te(xt').error?.message, 'mime: expected slash after first token');
    assert.equal(parseMediaType('a/b; x=1; x=1').error?.message, 'mime: duplicate parameter name');
    assert.equal(parseMediaType('a/b; x="unterminated').error?.message, 'mime: invalid media parameter');
  });

  it('splits a request target into decoded path and raw query', () => {
    assert.deepEqual(parseTarget('/v2/keys/a%20b?x=%zz&y'), { path: '/v2/keys/a b', rawQuery: 'x=%zz&y' });
    assert.deepEqual(parseTarget('/v2/keys/a%2Fb'), { path: '/v2/keys/a/b', rawQuery: '' });
    assert.deepEqual(parseTarget('http://host:9/v2/keys/a?q'), { path: '/v2/keys/a', rawQuery: 'q' });
    assert.deepEqual(parseTarget('/a+b#c'), { path: '/a+b#c', rawQuery: '' });
    assert.ok(parseTarget('/v2/keys/a%zz') instanceof GoError);
    assert.ok(parseTarget('nope') instanceof GoError);
  });
});
