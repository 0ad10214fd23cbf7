// docs/auth.md's way back from a lost root password: restart a member with an
// https client URL and client-cert-auth, present a certificate with CN root
// (no password), set a new root password, restart as before.

import assert from 'node:assert/strict';
import https from 'node:https';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../support/procs.js';
import { TestPki } from '../tls/pki.js';
import { cleanUp, clientTls, Kvd, memberFlags, scratchDir, waitHttpsReady } from '../security/helpers.js';

const pki = new TestPki();
after(async () => {
  await cleanUp();
  pki.remove();
});

const basic = (as: string): Record<string, string> => ({
  authorization: 'Basic ' + Buffer.from(as).toString('base64'),
});

test('a certificate with CN root sets a new root password when the old one is lost', async () => {
  const dir = scratchDir();
  const plain = `http://127.0.0.1:${await freePort()}`;
  const secure = `https://127.0.0.1:${await freePort()}`;
  const base = { name: 'lost', dataDir: join(dir, 'data'), peerUrl: `http://127.0.0.1:${await freePort()}` };
  let member = new Kvd('lost', memberFlags({ ...base, listenClientUrls: [plain] })).start();
  await waitHttpsReady(member, `${plain}/health`, null);
  assert.equal(
    (
      await fetch(`${plain}/v2/auth/users/root`, {
        method: 'PUT',
        body: JSON.stringify({ user: 'root', password: 'forgotten' }),
      })
    ).status,
    201,
  );
  assert.equal((await fetch(`${plain}/v2/auth/enable`, { method: 'PUT' })).status, 200);
  await member.kill('SIGTERM');

  const server = pki.issue('server');
  const rootCert = pki.issue('root', { cn: 'root' });
  const tlsFlags = [
    '--cert-file',
    server.certFile,
    '--key-file',
    server.keyFile,
    '--client-cert-auth',
    '--trusted-ca-file',
    pki.caFile,
  ];
  member = new Kvd('lost', memberFlags({ ...base, listenClientUrls: [plain, secure], extra: tlsFlags })).start();
  const asRoot = clientTls(pki.caFile, rootCert);
  await waitHttpsReady(member, `${secure}/health`, asRoot);
  const status = await new Promise<number>((resolve, reject) => {
    const req = https.request(
      `${secure}/v2/auth/users/root`,
      {
        ...asRoot,
        method: 'PUT',
        agent: false,
        headers: { 'content-type': 'application/json' },
      } as https.RequestOptions,
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ user: 'root', password: 'remembered' }));
  });
  assert.equal(status, 200);
  await member.kill('SIGTERM');

  member = new Kvd('lost', memberFlags({ ...base, listenClientUrls: [plain] })).start();
  await waitHttpsReady(member, `${plain}/health`, null);
  assert.equal((await fetch(`${plain}/v2/auth/users`, { headers: basic('root:remembered') })).status, 200);
  assert.equal((await fetch(`${plain}/v2/auth/users`, { headers: basic('root:forgotten') })).status, 401);
});
