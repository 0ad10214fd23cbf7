// Member request bodies, with the messages etcd 3.4 answered for each.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GoError } from '../../lib/api/go-url.js';
import { decodePeerURLs } from '../../lib/api/member-request.js';
import { parseMemberId } from '../../lib/api/members-handler.js';

function message(body: string): string {
  const out = decodePeerURLs(Buffer.from(body, 'latin1'));
  assert.ok(out instanceof GoError, `expected an error for ${body}, got ${JSON.stringify(out)}`);
  return out.message;
}

const STRUCT = 'struct { PeerURLs []string "json:\\"peerURLs\\"" }';

describe('member request bodies', () => {
  const cases: Array<[string, string, string]> = [
    ['empty body', '', 'unexpected end of JSON input'],
    ['only spaces', '  ', 'unexpected end of JSON input'],
    ['array at the top', '[]', `json: cannot unmarshal array into Go value of type ${STRUCT}`],
    ['string at the top', '"x"', `json: cannot unmarshal string into Go value of type ${STRUCT}`],
    ['number at the top', '1', `json: cannot unmarshal number into Go value of type ${STRUCT}`],
    ['null at the top', 'null', 'no valid URLs given'],
    [
      'peerURLs a string',
      '{"peerURLs":"x"}',
      'json: cannot unmarshal string into Go struct field .peerURLs of type []string',
    ],
    [
      'peerURLs an object',
      '{"peerURLs":{}}',
      'json: cannot unmarshal object into Go struct field .peerURLs of type []string',
    ],
    [
      'peerURLs a bool',
      '{"peerURLs":true}',
      'json: cannot unmarshal bool into Go struct field .peerURLs of type []string',
    ],
    [
      'a number in peerURLs',
      '{"peerURLs":[1]}',
      'json: cannot unmarshal number into Go struct field .peerURLs of type string',
    ],
    [
      'an object in peerURLs',
      '{"peerURLs":[{}]}',
      'json: cannot unmarshal object into Go struct field .peerURLs of type string',
    ],
    ['peerURLs null', '{"peerURLs":null}', 'no valid URLs given'],
    ['peerURLs empty', '{"peerURLs":[]}', 'no valid URLs given'],
    ['field matched case-insensitively', '{"PEERURLS":[]}', 'no valid URLs given'],
    ['no peerURLs', '{}', 'no valid URLs given'],
    ['trailing garbage', '{"peerURLs":["http://a:1"]} x', "invalid character 'x' after top-level value"],
    ['trailing comma', '{"peerURLs":["http://a:1",]}', "invalid character ']' looking for beginning of value"],
    ['unquoted key', '{bad', "invalid character 'b' looking for beginning of object key string"],
    ['broken literal', '{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['bad escape', '{"a":"\\x"}', "invalid character 'x' in string escape code"],
    ['bad decimal', '{"a":1.}', "invalid character '}' after decimal point in numeric literal"],
    ['leading zero', '{"a":01}', "invalid character '1' after object key:value pair"],
    ['control character in a string', '{"a":"\x01"}', "invalid character '\\x01' in string literal"],
    ['bare minus', '{"a":-}', "invalid character '}' in numeric literal"],
    ['bad exponent', '{"a":1e}', "invalid character '}' in exponent of numeric literal"],
    ['short unicode escape', '{"a":"\\u12"}', "invalid character '\"' in \\u hexadecimal character escape"],
    ['missing colon', '{"a" 1}', "invalid character '1' after object key"],
    ['missing comma', '{"a":1 "b"}', "invalid character '\"' after object key:value pair"],
    ['missing array comma', '[1 2]', "invalid character '2' after array element"],
    ['single quote', "{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['no port', '{"peerURLs":["http://a"]}', 'URL address does not have the form "host:port": http://a'],
    ['a path', '{"peerURLs":["http://a:1/p"]}', 'URL must not contain a path: http://a:1/p'],
    ['a slash path', '{"peerURLs":["http://a:1/"]}', 'URL must not contain a path: http://a:1/'],
    ['no scheme', '{"peerURLs":["notaurl"]}', 'URL scheme must be http, https, unix, or unixs: notaurl'],
    ['empty scheme', '{"peerURLs":["://x"]}', 'parse "://x": missing protocol scheme'],
    ['a null URL', '{"peerURLs":[null]}', 'URL scheme must be http, https, unix, or unixs: '],
    ['bad port', '{"peerURLs":["http://a:x"]}', 'parse "http://a:x": invalid port ":x" after host'],
  ];
  for (const [name, body, want] of cases) {
    it(name, () => assert.equal(message(body), want));
  }

  it('normalises and sorts URLs as etcd echoes them', () => {
    assert.deepEqual(decodePeerURLs(Buffer.from('{"peerURLs":["http://b:2"," http://a:1 "]}')), [
      'http://a:1',
      'http://b:2',
    ]);
    assert.deepEqual(decodePeerURLs(Buffer.from('{"peerURLs":["HTTP://A:1"]}')), ['http://A:1']);
    assert.deepEqual(decodePeerURLs(Buffer.from('{"peerURLs":["http://[::1]:1","unix://a:1"]}')), [
      'http://[::1]:1',
      'unix://a:1',
    ]);
  });

  it('rejects nesting deeper than Go allows', () => {
    assert.equal(message('['.repeat(10001)), "invalid character '[' exceeded max depth");
    assert.equal(message('['.repeat(10000)), 'unexpected end of JSON input');
  });
});

describe('member ids in paths', () => {
  it('parses hex ids and prints them as etcd does', () => {
    assert.equal(parseMemberId('00FF'), 'ff');
    assert.equal(parseMemberId('0'), '0');
    assert.equal(parseMemberId('ffffffffffffffff'), 'ffffffffffffffff');
  });

  it('rejects what Go cannot parse as a 64-bit hex number', () => {
    for (const bad of ['zz', '0x10', '', '10000000000000000', 'a/b', '-1']) assert.equal(parseMemberId(bad), null, bad);
  });
});
