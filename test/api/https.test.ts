// The API over TLS: HTTP/2 when the client offers h2 by ALPN, HTTP/1.1
// otherwise, with a throwaway self-signed certificate made by openssl.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import pino from 'pino';
import { ClientApi } from '../../lib/api/index.js';
import { TlsConfigError } from '../../lib/tls/index.js';
import { TestPki } from '../tls/pki.js';
import { StoreBackedTestService } from './support/store-service.js';

describe('client API over TLS', () => {
  let dir: string;
  let cert: Buffer;
  let api: ClientApi;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvd-api-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    const service = new StoreBackedTestService();
    await service.write({ op: 'put', path: '/tls', value: 'secret', dir: false, ttl: null, refresh: false });
    api = new ClientApi({
      keys: service,
      cluster: service,
      logger: pino({ level: 'silent' }),
      version: { etcdserver: '3.4.23', etcdcluster: '3.4.0' },
      tls: { cert, key: readFileSync(join(dir, 'key.pem')) },
    });
    url = await api.listen('https://127.0.0.1:0');
  });

  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds an https URL', () => {
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves HTTP/1.1 to a client that offers only http/1.1', async () => {
    const agent = new https.Agent({ ca: cert, ALPNProtocols: ['http/1.1'] });
    const { status, body, alpn } = await new Promise<{ status: number; body: string; alpn: string | false | null }>(
      (resolve, reject) => {
        const req = https.request(`${url}/v2/keys/tls`, { agent }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, body: text, alpn: (res.socket as TLSSocket).alpnProtocol }),
          );
        });
        req.on('error', reject);
        req.end();
      },
    );
    agent.destroy();
    assert.equal(alpn, 'http/1.1');
    assert.equal(status, 200);
    assert.equal(JSON.parse(body).node.value, 'secret');
  });

  it('serves HTTP/2 to a client that offers h2', async () => {
    const session = http2.connect(url, { ca: cert });
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ':path': '/v2/keys/tls' });
        let text = '';
        let status = 0;
        stream.setEncoding('utf8');
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.on('data', (c: string) => (text += c));
        stream.on('end', () => resolve({ status, body: text }));
        stream.on('error', reject);
      });
      assert.equal((session.socket as TLSSocket).alpnProtocol, 'h2');
      assert.equal(status, 200);
      assert.equal(JSON.parse(body).node.value, 'secret');
    } finally {
      session.close();
    }
  });

  it('refuses a client without a trusted certificate in the handshake when client certs are required', async () => {
    const service = new StoreBackedTestService();
    const key = readFileSync(join(dir, 'key.pem'));
    const strict = new ClientApi({
      keys: service,
      cluster: service,
      logger: pino({ level: 'silent' }),
      version: { etcdserver: '3.4.23', etcdcluster: '3.4.0' },
      tls: { cert, key, ca: cert, requestCert: true, rejectUnauthorized: true },
    });
    const strictUrl = await strict.listen('https://127.0.0.1:0');
    const get = (options: https.AgentOptions): Promise<number> =>
      new Promise((resolve, reject) => {
        const agent = new https.Agent({ ca: cert, ...options });
        const req = https.request(`${strictUrl}/version`, { agent }, (res) => {
          res.resume();
          res.on('end', () => {
            agent.destroy();
            resolve(res.statusCode!);
          });
        });
        req.on('error', (err) => {
          agent.destroy();
          reject(err);
        });
        req.end();
      });
    try {
      assert.equal(await get({ cert, key }), 200);
      await assert.rejects(get({}));
    } finally {
      await strict.close();
    }
  });

  it('refuses an https URL without TLS options', async () => {
    const service = new StoreBackedTestService();
    const plain = new ClientApi({
      keys: service,
      cluster: service,
      logger: pino({ level: 'silent' }),
      version: { etcdserver: '3.4.23', etcdcluster: '3.4.0' },
    });
    await assert.rejects(plain.listen('https://127.0.0.1:0'), /needs TLS options/);
    await plain.close();
  });
});

describe('client API TLS options OpenSSL refuses', () => {
  it('make listen() reject with a TlsConfigError, not an OpenSSL error', async (t) => {
    const pki = new TestPki();
    t.after(() => pki.remove());
    const sha1 = pki.issue('sha1', { md: 'sha1' });
    const service = new StoreBackedTestService();
    const api = new ClientApi({
      keys: service,
      cluster: service,
      logger: pino({ level: 'silent' }),
      version: { etcdserver: '3.4.23', etcdcluster: '3.4.0' },
      tls: { cert: readFileSync(sha1.certFile), key: readFileSync(sha1.keyFile) },
    });
    t.after(() => api.close());
    await assert.rejects(
      api.listen('https://127.0.0.1:0'),
      (err: unknown) => err instanceof TlsConfigError && /ca md too weak/.test(err.message),
    );
  });
});
