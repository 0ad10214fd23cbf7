import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureContextOptions } from 'node:tls';
import { after, describe, it } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { loadServerTls, TlsReloader, type ServerTls } from '../../lib/tls/index.js';
import { captureLog, dial, security, withTlsServer } from './helpers.js';
import { TestPki, type IssuedCert } from './pki.js';
import { nth, only } from '../support/pick.js';

const pki = new TestPki();
after(() => pki.remove());
const first = pki.issue('first');
const second = pki.issue('second');
const expired = pki.issue('expired', {
  notBefore: new Date('2020-01-01T00:00:00Z'),
  notAfter: new Date('2020-01-02T00:00:00Z'),
});
const sha1 = pki.issue('sha1', { md: 'sha1' });

let serial = 0;

/** A served cert/key pair at fixed paths, initially `first`, and a reloader over them. */
function setup(opts: { watch?: boolean } = {}) {
  const live: IssuedCert = {
    certFile: join(pki.dir, `live-${serial}.pem`),
    keyFile: join(pki.dir, `live-${serial}-key.pem`),
  };
  serial++;
  install(first, live);
  const sec = security({ certFile: live.certFile, keyFile: live.keyFile });
  const log = captureLog();
  const current = loadServerTls(sec, 'client', pki.dir);
  const reloads: { context: SecureContextOptions; tls: ServerTls }[] = [];
  let notify: (() => void) | undefined;
  const reloader = new TlsReloader({
    sec,
    side: 'client',
    dataDir: pki.dir,
    logger: log.logger,
    current,
    onReload: (context, tls) => {
      reloads.push({ context, tls });
      notify?.();
    },
    pollIntervalMs: 20,
    debounceMs: 20,
  });
  if (opts.watch) reloader.start();
  after(() => reloader.close());
  const nextReload = () =>
    new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error('no reload within 10 s')), 10_000);
      notify = () => {
        clearTimeout(guard);
        resolve();
      };
    });
  return { live, current, reloader, reloads, log, nextReload };
}

function install(from: IssuedCert, to: IssuedCert): void {
  copyFileSync(from.certFile, to.certFile);
  copyFileSync(from.keyFile, to.keyFile);
}

const pem = (c: IssuedCert) => readFileSync(c.certFile, 'utf8');

describe('TlsReloader', () => {
  it('reload() hands the server the changed certificate', () => {
    const { live, reloader, reloads } = setup();
    install(second, live);
    const result = reloader.reload();
    assert.equal(result.status, 'reloaded');
    assert.equal(reloads.length, 1);
    assert.equal(nth(reloads, 0).context.cert, pem(second));
    assert.equal(nth(reloads, 0).context.minVersion, 'TLSv1.2');
  });

  it('reload() keeps the current certificate when the new key does not match, logging the error', () => {
    const { live, reloader, reloads, log } = setup();
    copyFileSync(second.certFile, live.certFile);
    const result = reloader.reload();
    assert.equal(result.status, 'rejected');
    assert.equal(result.status === 'rejected' && result.error.code, 'KEY_MISMATCH');
    assert.equal(reloads.length, 0);
    const error = only(
      log.entries().filter((e) => e.level === 50),
      'one error logged',
    );
    assert.ok(error.msg.includes(live.keyFile) && error.msg.includes('keeping the current client certificate'));
  });

  it('reload() keeps the current certificate when the new one has expired', () => {
    const { live, reloader, reloads } = setup();
    install(expired, live);
    const result = reloader.reload();
    assert.equal(result.status === 'rejected' && result.error.code, 'CERT_EXPIRED');
    assert.equal(reloads.length, 0);
  });

  it('reload() keeps the current certificate when OpenSSL refuses the new one (signed with SHA-1)', () => {
    const { live, reloader, reloads } = setup();
    install(sha1, live);
    const result = reloader.reload();
    assert.equal(result.status === 'rejected' && result.error.code, 'CERT_REFUSED');
    assert.equal(reloads.length, 0);
  });

  it('reload() after a rejected change picks up the fixed files', () => {
    const { live, reloader, reloads } = setup();
    copyFileSync(second.certFile, live.certFile);
    assert.equal(reloader.reload().status, 'rejected');
    copyFileSync(second.keyFile, live.keyFile);
    assert.equal(reloader.reload().status, 'reloaded');
    assert.equal(nth(reloads, 0).context.cert, pem(second));
  });

  it('reload() of unchanged files does not disturb the server', () => {
    const { reloader, reloads } = setup();
    assert.equal(reloader.reload().status, 'unchanged');
    assert.equal(reloads.length, 0);
  });

  it('notices rewritten certificate files by itself, each time', async () => {
    const { live, reloads, nextReload } = setup({ watch: true });
    let reloaded = nextReload();
    install(second, live);
    await reloaded;
    assert.equal(reloads.at(-1)?.context.cert, pem(second));
    // The one-off check after start() is spent: this one is the file watcher's.
    reloaded = nextReload();
    install(first, live);
    await reloaded;
    assert.equal(reloads.at(-1)?.context.cert, pem(first));
  });

  it('a server given the reloaded context serves the new certificate to new connections', async () => {
    const { live, current, reloader, reloads } = setup();
    const ca = readFileSync(pki.caFile);
    const fingerprint = (c: IssuedCert) => new X509Certificate(readFileSync(c.certFile)).fingerprint256;
    await withTlsServer(current.serverOptions, async (port, server) => {
      assert.deepEqual(await dial(port, { ca }), { outcome: 'accepted', peerFingerprint: fingerprint(first) });
      install(second, live);
      assert.equal(reloader.reload().status, 'reloaded');
      server.setSecureContext(nth(reloads, 0).context);
      assert.deepEqual(await dial(port, { ca }), { outcome: 'accepted', peerFingerprint: fingerprint(second) });
    });
  });
});
