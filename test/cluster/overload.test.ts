// A member past its queue limits answers etcd's overloaded-server error at once
// instead of growing: here the queue of writes waiting for a leader.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  eventually,
  freePort,
  httpRequest,
  MemberProcess,
  memberArgs,
  START_UP_MS,
  tempDir,
} from '../support/procs.js';

/** Writes waiting for a leader, at most (lib/server/member.ts MAX_UNPROPOSED). */
const MAX_UNPROPOSED = 4096;

test('a member without a leader refuses writes past its queue limit at once with etcd\'s "too many requests"', async (t) => {
  const dir = tempDir(t);
  const specs = await Promise.all(
    ['m1', 'm2', 'm3'].map(async (name) => ({
      name,
      clientPort: await freePort(),
      peerPort: await freePort(),
      dataDir: join(dir, name),
    })),
  );
  const initial = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');
  // Only m1 runs: it never learns of a leader, so every write waits for one. A long
  // election timeout makes the request timeout 15 s: no queued write times out (freeing
  // its place) before the ones past the limit have been answered, however slow the machine.
  const m = new MemberProcess(specs[0]!, memberArgs(specs[0]!, initial, 'new', ['--election-timeout', '5000']));
  t.after(() => m.kill());
  m.start();
  await eventually(
    async () => (await httpRequest('GET', `${m.clientURL}/health`, undefined, 1000)).status === 503,
    START_UP_MS,
    'm1 to listen',
  );

  const sessions = Array.from({ length: 42 }, () => http2.connect(m.clientURL));
  t.after(() => sessions.forEach((s) => s.destroy()));
  for (const s of sessions) s.on('error', () => {});
  const refused: { status: number; body: string }[] = [];
  for (let i = 0; i < MAX_UNPROPOSED + 20; i++) {
    const req = sessions[i % sessions.length]!.request({
      ':method': 'PUT',
      ':path': `/v2/keys/k${i}`,
      'content-type': 'application/x-www-form-urlencoded',
    });
    req.on('error', () => {});
    let status = 0;
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (c: string) => (body += c));
    req.on('end', () => refused.push({ status, body }));
    req.end(`value=${i}`);
  }
  const tooMany = (r: { status: number; body: string }) =>
    r.status === 500 &&
    r.body === '{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: too many requests","index":0}\n';
  await eventually(
    async () => refused.filter(tooMany).length === 20,
    12_000,
    'the 20 writes past the limit to be refused',
  );
  assert.equal(refused.length, 20, 'only the writes past the limit were answered');
});
