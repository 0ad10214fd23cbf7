// With --client-cert-auth, a request without basic auth is the user its
// client certificate names (its Common Name), as in etcd: alice's certificate
// acts as alice, root's as root, and a certificate naming no user is the
// guest. Basic auth, when sent, decides instead.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import { join } from 'node:path';
import type tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/procs.js';
import { TestPki } from '../tls/pki.js';
import { cleanUp, clientTls, h2Request, Kvd, memberFlags, scratchDir, waitHttpsReady } from '../security/helpers.js';

const pki = new TestPki();
const server = pki.issue('server');
const rootCert = pki.issue('root', { cn: 'root' });
const aliceCert = pki.issue('alice', { cn: 'alice' });
const strangerCert = pki.issue('stranger', { cn: 'stranger' });

after(async () => {
  await cleanUp();
  pki.remove();
});

function call(
  url: string,
  method: string,
  options: tls.ConnectionOptions,
  body?: string,
  basic?: string,
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {};
  if (body !== undefined)
    headers['content-type'] = url.includes('/v2/keys') ? 'application/x-www-form-urlencoded' : 'application/json';
  if (basic !== undefined) headers.authorization = 'Basic ' + Buffer.from(basic).toString('base64');
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { ...options, method, headers, agent: false, timeout: 10_000 } as https.RequestOptions,
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('client certificates as users', () => {
  let url = '';
  const asRoot = clientTls(pki.caFile, rootCert);
  const asAlice = clientTls(pki.caFile, aliceCert);
  const asStranger = clientTls(pki.caFile, strangerCert);

  before(async () => {
    const dir = scratchDir();
    url = `https://127.0.0.1:${await freePort()}`;
    const member = new Kvd(
      'certs',
      memberFlags({
        name: 'certs',
        dataDir: join(dir, 'data'),
        listenClientUrls: [url],
        peerUrl: `http://127.0.0.1:${await freePort()}`,
        extra: [
          '--cert-file',
          server.certFile,
          '--key-file',
          server.keyFile,
          '--client-cert-auth',
          '--trusted-ca-file',
          pki.caFile,
        ],
      }),
    ).start();
    await waitHttpsReady(member, `${url}/health`, asRoot);
    const setup: Array<[string, object]> = [
      ['/v2/auth/users/root', { user: 'root', password: 'rootpw' }],
      ['/v2/auth/roles/app', { role: 'app', permissions: { kv: { read: ['/app/*'], write: ['/app/*'] } } }],
      ['/v2/auth/users/alice', { user: 'alice', password: 'alicepw', roles: ['app'] }],
      ['/v2/auth/roles/guest', { role: 'guest', permissions: { kv: { read: ['/pub/*'], write: [] } } }],
    ];
    for (const [path, body] of setup)
      assert.ok([200, 201].includes((await call(url + path, 'PUT', asRoot, JSON.stringify(body))).status), path);
    assert.equal((await call(`${url}/v2/auth/enable`, 'PUT', asRoot)).status, 200);
  });

  it('a certificate with CN root acts as root without a password', async () => {
    assert.equal((await call(`${url}/v2/auth/users`, 'GET', asRoot)).status, 200);
    assert.equal((await call(`${url}/v2/keys/anywhere`, 'PUT', asRoot, 'value=r')).status, 201);
  });

  it('a certificate with CN alice acts as alice: her keys only, no admin endpoints', async () => {
    assert.equal((await call(`${url}/v2/keys/app/k`, 'PUT', asAlice, 'value=a')).status, 201);
    const outside = await call(`${url}/v2/keys/other`, 'PUT', asAlice, 'value=a');
    assert.equal(outside.status, 401);
    assert.equal(JSON.parse(outside.body).errorCode, 110);
    assert.equal((await call(`${url}/v2/auth/users`, 'GET', asAlice)).status, 401);
  });

  it('alice over HTTP/2 is alice too', async () => {
    const session = http2.connect(url, asAlice);
    try {
      assert.equal((await h2Request(session, '/v2/keys/app/h2', 'PUT', 'value=x')).status, 201);
      assert.equal((await h2Request(session, '/v2/keys/other', 'GET')).status, 401);
    } finally {
      session.close();
    }
  });

  it('a certificate naming no user is the guest', async () => {
    assert.equal((await call(`${url}/v2/keys/pub/x`, 'GET', asStranger)).status, 404, 'the guest may read /pub/*');
    assert.equal((await call(`${url}/v2/keys/app/k`, 'GET', asStranger)).status, 401);
    assert.equal((await call(`${url}/v2/auth/users`, 'GET', asStranger)).status, 401);
  });

  it('basic auth, when given, decides instead of the certificate', async () => {
    assert.equal((await call(`${url}/v2/auth/users`, 'GET', asRoot, undefined, 'alice:alicepw')).status, 401);
    assert.equal((await call(`${url}/v2/keys/app/k`, 'GET', asRoot, undefined, 'alice:wrong')).status, 401);
    assert.equal((await call(`${url}/v2/auth/users`, 'GET', asStranger, undefined, 'root:rootpw')).status, 200);
  });
});
