// A watch is checked when it opens (etcd's rule) and again for every event
// (kvd's addition): once the user may no longer read a key, its events stop
// reaching the watch, and they come again when the permission does.

import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, MemberProcess, memberArgs, tempDir, waitReady, within } from '../support/procs.js';

const auth = (as: string): Record<string, string> => ({ authorization: 'Basic ' + Buffer.from(as).toString('base64') });

function call(method: string, url: string, body: string | undefined, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: {
          ...headers,
          ...(body
            ? { 'content-type': url.includes('/v2/keys') ? 'application/x-www-form-urlencoded' : 'application/json' }
            : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('a streaming watch stops delivering a key once its user loses the role that reads it', async (t) => {
  const dir = tempDir(t);
  const spec = { name: 'w', clientPort: await freePort(), peerPort: await freePort(), dataDir: join(dir, 'w.kvd') };
  const m = new MemberProcess(spec, memberArgs(spec, `w=http://127.0.0.1:${spec.peerPort}`, 'new'));
  t.after(() => m.kill());
  m.start();
  await waitReady(m);
  const base = m.clientURL;
  const root = auth('root:rootpw');
  assert.equal(
    await call('PUT', `${base}/v2/auth/users/root`, JSON.stringify({ user: 'root', password: 'rootpw' }), {}),
    201,
  );
  assert.equal(
    await call(
      'PUT',
      `${base}/v2/auth/roles/app`,
      JSON.stringify({ role: 'app', permissions: { kv: { read: ['/app/*'], write: [] } } }),
      {},
    ),
    201,
  );
  assert.equal(
    await call(
      'PUT',
      `${base}/v2/auth/users/alice`,
      JSON.stringify({ user: 'alice', password: 'alicepw', roles: ['app'] }),
      {},
    ),
    200,
  );
  assert.equal(await call('PUT', `${base}/v2/auth/enable`, undefined, {}), 200);

  const lines: string[] = [];
  let resolveFirst: (line: string) => void = () => {};
  const first = new Promise<string>((r) => (resolveFirst = r));
  const watch = http.get(
    `${base}/v2/keys/app/?wait=true&recursive=true&stream=true`,
    { headers: auth('alice:alicepw') },
    (res) => {
      assert.equal(res.statusCode, 200);
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (c: string) => {
        buf += c;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          lines.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
          resolveFirst(lines[0]!);
        }
      });
    },
  );
  t.after(() => watch.destroy());
  await new Promise((r) => watch.once('response', r));

  assert.equal(
    await call('PUT', `${base}/v2/auth/users/alice`, JSON.stringify({ user: 'alice', revoke: ['app'] }), root),
    200,
  );
  assert.equal(await call('PUT', `${base}/v2/keys/app/hidden`, 'value=h', root), 201);
  assert.equal(
    await call('PUT', `${base}/v2/auth/users/alice`, JSON.stringify({ user: 'alice', grant: ['app'] }), root),
    200,
  );
  assert.equal(await call('PUT', `${base}/v2/keys/app/shown`, 'value=s', root), 201);

  const line = await within(first, 10_000, 'an event on the watch');
  assert.equal(JSON.parse(line).node.key, '/app/shown');
});
