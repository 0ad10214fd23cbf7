// Bodies compared byte for byte with what etcd 3.4 wrote for the same event.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, etcdServerError, V2Error } from '../../lib/errors/index.js';
import type { Event } from '../../lib/store/event.js';
import { eventJson, goJson, httpErrorJson, memberListJson, v2ErrorJson } from '../../lib/api/json-out.js';

describe('etcd JSON output', () => {
  it('writes an event in etcd field order with a trailing newline and no etcdIndex', () => {
    const ev: Event = {
      action: 'set',
      node: { key: '/apit/a', value: '2', modifiedIndex: 6, createdIndex: 6 },
      prevNode: { key: '/apit/a', value: '1', modifiedIndex: 5, createdIndex: 5 },
      etcdIndex: 6,
    };
    assert.equal(
      eventJson(ev),
      '{"action":"set","node":{"key":"/apit/a","value":"2","modifiedIndex":6,"createdIndex":6},"prevNode":{"key":"/apit/a","value":"1","modifiedIndex":5,"createdIndex":5}}\n',
    );
  });

  it('orders fields as etcd does whatever order the store built them in', () => {
    const ev = {
      etcdIndex: 8,
      node: {
        createdIndex: 8,
        modifiedIndex: 8,
        ttl: 5,
        expiration: '2026-11-27T01:56:32.070628967Z',
        value: '2',
        key: '/apit/a',
      },
      action: 'set',
    } as Event;
    assert.equal(
      eventJson(ev),
      '{"action":"set","node":{"key":"/apit/a","value":"2","expiration":"2026-11-27T01:56:32.070628967Z","ttl":5,"modifiedIndex":8,"createdIndex":8}}\n',
    );
  });

  it('omits the root key and zero indexes, as etcd lists the root', () => {
    const ev: Event = {
      action: 'get',
      node: {
        key: '/',
        dir: true,
        nodes: [{ key: '/a', dir: true, modifiedIndex: 4, createdIndex: 4 }],
        modifiedIndex: 0,
        createdIndex: 0,
      },
      etcdIndex: 4,
    };
    assert.equal(
      eventJson(ev),
      '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","dir":true,"modifiedIndex":4,"createdIndex":4}]}}\n',
    );
  });

  it('omits empty nodes lists and a zero ttl but keeps an empty value', () => {
    const ev: Event = {
      action: 'get',
      node: { key: '/d', dir: true, nodes: [], modifiedIndex: 3, createdIndex: 3 },
      etcdIndex: 3,
    };
    assert.equal(eventJson(ev), '{"action":"get","node":{"key":"/d","dir":true,"modifiedIndex":3,"createdIndex":3}}\n');
    const file: Event = {
      action: 'set',
      node: { key: '/f', value: '', ttl: 0, expiration: 'x', modifiedIndex: 1, createdIndex: 1 },
      etcdIndex: 1,
    };
    assert.equal(
      eventJson(file),
      '{"action":"set","node":{"key":"/f","value":"","expiration":"x","modifiedIndex":1,"createdIndex":1}}\n',
    );
  });

  it('drops node and prevNode for noValueOnSuccess writes only', () => {
    const node = { key: '/k', value: 'v', modifiedIndex: 2, createdIndex: 2 };
    assert.equal(eventJson({ action: 'create', node, etcdIndex: 2 }, true), '{"action":"create"}\n');
    assert.equal(
      eventJson({ action: 'delete', node, etcdIndex: 2 }, true),
      '{"action":"delete","node":{"key":"/k","value":"v","modifiedIndex":2,"createdIndex":2}}\n',
    );
  });

  it('escapes strings as Go does', () => {
    // etcd wrote this for the value <a&b> U+2028 é " \ / \x01 \x7f \b \f
    const value = '<a&b>\u2028é"\\/\u0001\u007f\b\f';
    const ev: Event = { action: 'get', node: { key: '/e', value, modifiedIndex: 1, createdIndex: 1 }, etcdIndex: 1 };
    assert.equal(
      eventJson(ev),
      '{"action":"get","node":{"key":"/e","value":"\\u003ca\\u0026b\\u003e\\u2028é\\"\\\\/\\u0001\u007f\\u0008\\u000c","modifiedIndex":1,"createdIndex":1}}\n',
    );
  });

  it('does not mistake an escaped backslash before b for \\b', () => {
    assert.equal(goJson(JSON.stringify('\\b\\f')), '"\\\\b\\\\f"');
  });

  it('writes v2 errors with cause omitted when empty and a trailing newline', () => {
    assert.equal(
      v2ErrorJson(new V2Error(ErrorCode.KeyNotFound, '/apit/<x>', 7)),
      '{"errorCode":100,"message":"Key not found","cause":"/apit/\\u003cx\\u003e","index":7}\n',
    );
    assert.equal(v2ErrorJson(etcdServerError('')), '{"errorCode":300,"message":"Raft Internal Error","index":0}\n');
  });

  it('writes HTTP errors and member lists as etcd does', () => {
    assert.equal(httpErrorJson('not current leader'), '{"message":"not current leader"}');
    assert.equal(
      memberListJson([
        {
          id: '9e737febb6b99eee',
          name: 'ref',
          peerURLs: ['http://127.0.0.1:22380'],
          clientURLs: ['http://127.0.0.1:22379'],
        },
      ]),
      '{"members":[{"id":"9e737febb6b99eee","name":"ref","peerURLs":["http://127.0.0.1:22380"],"clientURLs":["http://127.0.0.1:22379"]}]}\n',
    );
  });
});
