// The error registry against etcd's documentation and etcd 3.4's answers.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ErrorCode,
  MembershipError,
  V2_ERRORS,
  V2Error,
  etcdServerRefusal,
  requestTimedOut,
  serverStopped,
  tooManyRequests,
  unknownMethod,
} from '../../lib/errors/index.js';

/** etcd's Documentation/v2/errorcode.md: every documented code with its strerror. */
const DOCUMENTED: ReadonlyArray<readonly [number, string]> = [
  [100, 'Key not found'],
  [101, 'Compare failed'],
  [102, 'Not a file'],
  [104, 'Not a directory'],
  [105, 'Key already exists'],
  [107, 'Root is read only'],
  [108, 'Directory not empty'],
  [201, 'PrevValue is Required in POST form'],
  [202, 'The given TTL in POST form is not a number'],
  [203, 'The given index in POST form is not a number'],
  [209, 'Invalid field'],
  [210, 'Invalid POST form'],
  [300, 'Raft Internal Error'],
  [301, 'During Leader Election'],
  [400, 'watcher is cleared due to etcd recovery'],
  [401, 'The event in requested index is outdated and cleared'],
];

test('every error code etcd documents is registered with the documented message', () => {
  const byCode = new Map<number, string>(Object.values(V2_ERRORS).map((e) => [e.code, e.message]));
  for (const [code, message] of DOCUMENTED) assert.equal(byCode.get(code), message, `code ${code}`);
});

test('no two registered errors share a code', () => {
  const codes = Object.values(V2_ERRORS).map((e) => e.code);
  assert.equal(new Set(codes).size, codes.length);
});

test('a V2Error carries its registered message and status into the JSON body etcd sends', () => {
  const e = new V2Error(ErrorCode.KeyNotFound, '/missing', 7);
  assert.equal(e.status, 404);
  assert.deepEqual(JSON.parse(JSON.stringify(e)), {
    errorCode: 100,
    message: 'Key not found',
    cause: '/missing',
    index: 7,
  });
});

test('the statuses etcd 3.4 answers: 404 not found, 412 failed compare and existing key, 403 not a file and directory not empty, 401 unauthorized, 500 raft errors, 400 the rest', () => {
  const status = (code: keyof typeof ErrorCode) => V2_ERRORS[code].status;
  assert.equal(status('KeyNotFound'), 404);
  assert.equal(status('TestFailed'), 412);
  assert.equal(status('NodeExist'), 412);
  assert.equal(status('NotFile'), 403);
  assert.equal(status('DirNotEmpty'), 403);
  assert.equal(status('Unauthorized'), 401);
  assert.equal(status('RaftInternal'), 500);
  assert.equal(status('LeaderElect'), 500);
  assert.equal(status('NotDir'), 400);
  assert.equal(status('EventIndexCleared'), 400);
});

test("etcd's named server causes are Raft Internal Errors with etcd's texts", () => {
  const cases: ReadonlyArray<readonly [V2Error, string, number]> = [
    [requestTimedOut(), 'etcdserver: request timed out', 0],
    [serverStopped(), 'etcdserver: server stopped', 0],
    [tooManyRequests(), 'etcdserver: too many requests', 0],
    [unknownMethod(12), 'etcdserver: unknown method', 12],
    [etcdServerRefusal('no leader'), 'etcdserver: no leader', 0],
  ];
  for (const [e, cause, index] of cases) {
    assert.equal(e.errorCode, 300);
    assert.equal(e.status, 500);
    assert.equal(e.cause, cause);
    assert.equal(e.index, index);
  }
});

test("membership refusals carry etcd's texts and the statuses /v2/members answers with", () => {
  const exists = new MembershipError('PEER_URL_EXISTS');
  assert.equal(exists.message, 'membership: peerURL exists');
  assert.equal(exists.status, 409);
  const missing = new MembershipError('ID_NOT_FOUND');
  assert.equal(missing.message, 'membership: ID not found');
  assert.equal(missing.status, 404);
  assert.equal(missing.clientText('8e9e05c52164694d'), 'No such member: 8e9e05c52164694d');
  const removed = new MembershipError('ID_REMOVED');
  assert.equal(removed.message, 'membership: ID removed');
  assert.equal(removed.status, 410);
  assert.equal(removed.clientText('8e9e05c52164694d'), 'Member permanently removed: 8e9e05c52164694d');
});

test('Raft Internal errors are built only by lib/errors/etcdserver.ts', () => {
  const root = new URL('../../', import.meta.url).pathname;
  const builders = ['lib', 'cmd', 'tools'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(dir, f))
      .filter((f) => /new V2Error\(\s*ErrorCode\.RaftInternal/.test(readFileSync(join(root, f), 'utf8'))),
  );
  assert.deepEqual(builders, ['lib/errors/etcdserver.ts']);
});
