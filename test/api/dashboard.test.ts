// /dashboard/ as HTTP: the built files with their types, ETags and
// encodings, the JSON views, and the switch that turns it all off.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import pino from 'pino';
import { ClientApi } from '../../lib/api/index.js';
import { defaultDashboardDir } from '../../lib/api/dashboard-assets.js';
import type { DashboardService } from '../../lib/server/index.js';
import { TestPki } from '../tls/pki.js';
import { startApi, type Harness } from './support/clients.js';

interface Got {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function h1(url: string, method = 'GET', headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers as Record<string, string>,
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function h2(session: http2.ClientHttp2Session, path: string, headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path, ...headers });
    const chunks: Buffer[] = [];
    let status = 0;
    let got: Record<string, string> = {};
    stream.on('response', (h) => {
      status = Number(h[':status']);
      got = h as Record<string, string>;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status, headers: got, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    stream.end();
  });
}

class RecordingDashboard implements DashboardService {
  readonly asked: string[] = [];
  /** A large answer, so that gzip is worth it. */
  async latencyReport(seconds: number): Promise<unknown> {
    this.asked.push(`latency ${seconds}`);
    return { seconds, padding: 'x'.repeat(5000) };
  }
  async clusterReport(since: number): Promise<unknown> {
    this.asked.push(`cluster ${since}`);
    return { since };
  }
}

const SCRIPT = 'console.log("dashboard");\n'.repeat(50);
const PAGE = '<!doctype html><title>kvd</title><script type="module" src="app-ABCD1234.js"></script>';

function assetsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvd-dashboard-assets-'));
  writeFileSync(join(dir, 'index.html'), PAGE);
  writeFileSync(join(dir, 'app-ABCD1234.js'), SCRIPT);
  writeFileSync(join(dir, 'app-ABCD1234.js.br'), brotliCompressSync(SCRIPT));
  writeFileSync(join(dir, 'app-ABCD1234.js.gz'), gzipSync(SCRIPT));
  return dir;
}

describe('/dashboard/ over HTTP/1.1 and h2c', () => {
  let h: Harness;
  let dir: string;
  const service = new RecordingDashboard();
  let session: http2.ClientHttp2Session;

  before(async () => {
    dir = assetsDir();
    h = await startApi({ dashboard: service, dashboardDir: dir });
    session = http2.connect(h.url);
  });
  after(async () => {
    session.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redirects /dashboard to /dashboard/', async () => {
    const r = await h1(`${h.url}/dashboard`);
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/dashboard/');
  });

  it('serves the page at /dashboard/ as HTML, revalidated on every load, with a CSP that allows only this member', async () => {
    const r = await h1(`${h.url}/dashboard/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.match(r.headers.etag!, /^"[A-Za-z0-9_-]+"$/);
    assert.match(r.headers['content-security-policy']!, /default-src 'none'; script-src 'self'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.body.toString(), PAGE);
  });

  it('serves a hashed script as JavaScript, cacheable for ever', async () => {
    const r = await h1(`${h.url}/dashboard/app-ABCD1234.js`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(r.body.toString(), SCRIPT);
  });

  it('picks brotli, then gzip, then the plain file by Accept-Encoding, each with its own ETag', async () => {
    const url = `${h.url}/dashboard/app-ABCD1234.js`;
    const br = await h1(url, 'GET', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(brotliDecompressSync(br.body).toString(), SCRIPT);
    const gz = await h1(url, 'GET', { 'accept-encoding': 'gzip, br;q=0' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), SCRIPT);
    const plain = await h1(url);
    assert.equal(plain.headers['content-encoding'], undefined);
    for (const r of [br, gz, plain]) assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.equal(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size, 3);
  });

  it('answers 304 without a body when If-None-Match names the current ETag', async () => {
    const first = await h1(`${h.url}/dashboard/`, 'GET', { 'accept-encoding': 'br' });
    const again = await h1(`${h.url}/dashboard/`, 'GET', {
      'accept-encoding': 'br',
      'if-none-match': first.headers.etag!,
    });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, first.headers.etag);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const r = await h1(`${h.url}/dashboard/app-ABCD1234.js`, 'HEAD');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(SCRIPT)));
    assert.equal(r.body.length, 0);
  });

  it('refuses other methods with 405 and Allow', async () => {
    const r = await h1(`${h.url}/dashboard/`, 'POST');
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET,HEAD');
  });

  it('answers 404 for a file it does not have', async () => {
    for (const path of ['/dashboard/nope.js', '/dashboard/a/index.html', '/dashboardx']) {
      assert.equal((await h1(`${h.url}${path}`)).status, 404, path);
    }
  });

  it('serves the latency view as JSON, never cached, gzipped when large and accepted', async () => {
    const r = await h1(`${h.url}/dashboard/api/latency?seconds=60`, 'GET', { 'accept-encoding': 'gzip' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(JSON.parse(gunzipSync(r.body).toString()).seconds, 60);
    assert.ok(service.asked.includes('latency 60'));
  });

  it('passes since to the cluster view, and 0 for a missing or bad one', async () => {
    const a = await h1(`${h.url}/dashboard/api/cluster?since=1800000000`);
    assert.deepEqual(JSON.parse(a.body.toString()), { since: 1800000000 });
    const b = await h1(`${h.url}/dashboard/api/cluster?since=soon`);
    assert.deepEqual(JSON.parse(b.body.toString()), { since: 0 });
  });

  it('serves the same over h2c', async () => {
    const page = await h2(session, '/dashboard/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    const view = await h2(session, '/dashboard/api/cluster?since=5');
    assert.deepEqual(JSON.parse(view.body.toString()), { since: 5 });
  });
});

describe('/dashboard/ switched off or not built', () => {
  it('is a 404 when the API has no dashboard (--dashboard=false)', async (t) => {
    const h = await startApi();
    t.after(() => h.close());
    for (const path of ['/dashboard/', '/dashboard/api/latency']) {
      const r = await h1(`${h.url}${path}`);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.toString(), '404 page not found\n');
    }
  });

  it('says how to build it when its files are missing, and still serves the JSON views', async (t) => {
    const empty = mkdtempSync(join(tmpdir(), 'kvd-dashboard-empty-'));
    const h = await startApi({ dashboard: new RecordingDashboard(), dashboardDir: empty });
    t.after(async () => {
      await h.close();
      rmSync(empty, { recursive: true, force: true });
    });
    const r = await h1(`${h.url}/dashboard/`);
    assert.equal(r.status, 503);
    assert.match(r.body.toString(), /npm run build/);
    assert.equal((await h1(`${h.url}/dashboard/api/cluster`)).status, 200);
  });
});

describe('/dashboard/ over TLS with client certificates', () => {
  let pki: TestPki;
  let api: ClientApi;
  let url: string;
  let client: { cert: Buffer; key: Buffer };

  before(async () => {
    pki = new TestPki();
    const server = pki.issue('server');
    const c = pki.issue('client');
    client = { cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) };
    const { StoreBackedTestService } = await import('./support/store-service.js');
    const service = new StoreBackedTestService();
    api = new ClientApi({
      keys: service,
      cluster: service,
      logger: pino({ level: 'silent' }),
      version: { etcdserver: '3.4.0', etcdcluster: '3.4.0' },
      tls: {
        cert: readFileSync(server.certFile),
        key: readFileSync(server.keyFile),
        ca: readFileSync(pki.caFile),
        requestCert: true,
        rejectUnauthorized: true,
      },
      dashboard: new RecordingDashboard(),
      dashboardDir: assetsDir(),
    });
    url = await api.listen('https://127.0.0.1:0');
  });
  after(async () => {
    await api.close();
    pki.remove();
  });

  it('serves the page and its views over h2 (ALPN) to a client presenting a trusted certificate', async () => {
    const session = http2.connect(url, { ca: readFileSync(pki.caFile), ...client });
    try {
      const alpn = await new Promise<string | false | undefined>((resolve) =>
        session.once('connect', (s) => resolve(s.alpnProtocol)),
      );
      assert.equal(alpn, 'h2');
      assert.equal((await h2(session, '/dashboard/')).status, 200);
      assert.equal(
        (await h2(session, '/dashboard/app-ABCD1234.js', { 'accept-encoding': 'br' })).headers['content-encoding'],
        'br',
      );
      assert.equal((await h2(session, '/dashboard/api/latency')).status, 200);
    } finally {
      session.close();
    }
  });

  it('refuses a client without a certificate in the handshake', async () => {
    const session = http2.connect(url, { ca: readFileSync(pki.caFile) });
    const outcome = await new Promise<string>((resolve) => {
      session.on('error', (err) => resolve(`error: ${err.message}`));
      session.on('close', () => resolve('closed'));
      const stream = session.request({ ':path': '/dashboard/' });
      stream.on('response', () => resolve('answered'));
      stream.on('error', (err) => resolve(`error: ${err.message}`));
      stream.on('close', () => resolve('closed'));
      stream.end();
    });
    session.destroy();
    assert.notEqual(outcome, 'answered');
  });
});

describe('the built dashboard', () => {
  it('is a page that loads only its own hashed files by relative URL', (t) => {
    const dir = defaultDashboardDir();
    if (!existsSync(join(dir, 'index.html'))) return t.skip('dashboard not built: npm run build');
    const page = readFileSync(join(dir, 'index.html'), 'utf8');
    const refs = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(
      refs.some((r) => /^app-[A-Z0-9]{8}\.js$/.test(r)),
      refs.join(' '),
    );
    assert.ok(
      refs.some((r) => /^app-[A-Z0-9]{8}\.css$/.test(r)),
      refs.join(' '),
    );
    for (const ref of refs) {
      assert.doesNotMatch(ref, /^(?:[a-z]+:)?\/\//, `${ref} points outside the member`);
      assert.ok(existsSync(join(dir, ref)), `${ref} is not in ${dir}`);
    }
  });
});
