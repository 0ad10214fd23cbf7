import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CIPHERS, loadClientTls, loadServerTls, TlsConfigError, type TlsErrorCode } from '../../lib/tls/index.js';
import { captureLog, security } from './helpers.js';
import { TestPki } from './pki.js';
import { first } from '../support/pick.js';

const pki = new TestPki();
after(() => pki.remove());
const server = pki.issue('server');
const other = pki.issue('other');

function assertTlsRefused(fn: () => unknown, code: TlsErrorCode, file: string, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TlsConfigError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.file, file);
    assert.ok(err.message.includes(file), `${err.message} does not name ${file}`);
    for (const f of fragments) assert.ok(err.message.includes(f), `${err.message} lacks ${f}`);
    return true;
  });
}

describe('loadServerTls', () => {
  it('serves the configured certificate with TLS 1.2 at least and modern ciphers', () => {
    const tls = loadServerTls(security({ certFile: server.certFile, keyFile: server.keyFile }), 'client', pki.dir);
    assert.equal(tls.secureContext.cert, readFileSync(server.certFile, 'utf8'));
    assert.equal(tls.secureContext.minVersion, 'TLSv1.2');
    assert.equal(tls.secureContext.ciphers, CIPHERS);
    assert.ok(!CIPHERS.includes('CBC') && !CIPHERS.includes('RSA-AES128-SHA:'));
    assert.equal(tls.serverOptions.requestCert, false);
    assert.deepEqual(tls.files, [server.certFile, server.keyFile]);
  });

  it('requests and requires client certificates signed by the trusted CA when client-cert-auth is on', () => {
    const tls = loadServerTls(
      security({ certFile: server.certFile, keyFile: server.keyFile, clientCertAuth: true, trustedCaFile: pki.caFile }),
      'peer',
      pki.dir,
    );
    assert.equal(tls.serverOptions.requestCert, true);
    assert.equal(tls.serverOptions.rejectUnauthorized, true);
    assert.equal(tls.serverOptions.ca, readFileSync(pki.caFile, 'utf8'));
    assert.deepEqual(tls.files, [server.certFile, server.keyFile, pki.caFile]);
  });

  it('refuses a missing certificate file, naming it and its key', () => {
    const missing = join(pki.dir, 'nope.pem');
    assertTlsRefused(
      () => loadServerTls(security({ certFile: missing, keyFile: server.keyFile }), 'peer', pki.dir),
      'FILE_MISSING',
      missing,
      'peer-cert-file',
    );
  });

  it('refuses a missing key file, naming it', () => {
    const missing = join(pki.dir, 'nope-key.pem');
    assertTlsRefused(
      () => loadServerTls(security({ certFile: server.certFile, keyFile: missing }), 'client', pki.dir),
      'FILE_MISSING',
      missing,
      'key-file',
    );
  });

  it('refuses an unreadable certificate file, naming it', () => {
    const dir = join(pki.dir, 'a-directory.pem');
    mkdirSync(dir);
    assertTlsRefused(
      () => loadServerTls(security({ certFile: dir, keyFile: server.keyFile }), 'client', pki.dir),
      'FILE_UNREADABLE',
      dir,
      'cannot be read',
    );
  });

  it('refuses a key that does not match the certificate, naming both files', () => {
    assertTlsRefused(
      () => loadServerTls(security({ certFile: server.certFile, keyFile: other.keyFile }), 'client', pki.dir),
      'KEY_MISMATCH',
      other.keyFile,
      server.certFile,
      'does not match',
    );
  });

  it('refuses an expired certificate, naming it and when it expired', () => {
    const old = pki.issue('expired', {
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2020-01-02T00:00:00Z'),
    });
    assertTlsRefused(
      () => loadServerTls(security({ certFile: old.certFile, keyFile: old.keyFile }), 'peer', pki.dir),
      'CERT_EXPIRED',
      old.certFile,
      '2020-01-02T00:00:00.000Z',
    );
  });

  it('refuses a certificate that is not valid yet, naming it and from when it is', () => {
    const future = pki.issue('future', {
      notBefore: new Date('2099-01-01T00:00:00Z'),
      notAfter: new Date('2099-02-01T00:00:00Z'),
    });
    assertTlsRefused(
      () => loadServerTls(security({ certFile: future.certFile, keyFile: future.keyFile }), 'peer', pki.dir),
      'CERT_NOT_YET_VALID',
      future.certFile,
      '2099-01-01T00:00:00.000Z',
    );
  });

  it('refuses a certificate file without a PEM certificate', () => {
    const junk = join(pki.dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    assertTlsRefused(
      () => loadServerTls(security({ certFile: junk, keyFile: server.keyFile }), 'client', pki.dir),
      'CERT_INVALID',
      junk,
      'no PEM certificate',
    );
  });

  it('refuses a key file that holds no private key', () => {
    assertTlsRefused(
      () => loadServerTls(security({ certFile: server.certFile, keyFile: server.certFile }), 'client', pki.dir),
      'KEY_INVALID',
      server.certFile,
      'private key',
    );
  });

  it('refuses a trusted CA file without certificates, and a missing one', () => {
    const junk = join(pki.dir, 'junk-ca.pem');
    writeFileSync(junk, '');
    const sec = { certFile: server.certFile, keyFile: server.keyFile, clientCertAuth: true };
    assertTlsRefused(
      () => loadServerTls(security({ ...sec, trustedCaFile: junk }), 'client', pki.dir),
      'CA_INVALID',
      junk,
      'trusted-ca-file',
    );
    const missing = join(pki.dir, 'no-ca.pem');
    assertTlsRefused(
      () => loadServerTls(security({ ...sec, trustedCaFile: missing }), 'peer', pki.dir),
      'FILE_MISSING',
      missing,
      'peer-trusted-ca-file',
    );
  });

  it('refuses a certificate signed with SHA-1 as OpenSSL would when serving it, naming the file and the reason', () => {
    const sha1 = pki.issue('sha1-signed', { md: 'sha1' });
    assertTlsRefused(
      () => loadServerTls(security({ certFile: sha1.certFile, keyFile: sha1.keyFile }), 'client', pki.dir),
      'CERT_REFUSED',
      sha1.certFile,
      'cert-file',
      'too weak',
      'ca md too weak',
      'SHA-256',
    );
  });

  it('names the certificate of a chain OpenSSL refuses', () => {
    const sha1 = pki.issue('sha1-in-chain', { md: 'sha1' });
    const chain = join(pki.dir, 'chain-with-sha1.pem');
    writeFileSync(chain, readFileSync(server.certFile, 'utf8') + readFileSync(sha1.certFile, 'utf8'));
    assertTlsRefused(
      () => loadServerTls(security({ certFile: chain, keyFile: server.keyFile }), 'peer', pki.dir),
      'CERT_REFUSED',
      chain,
      'peer-cert-file',
      'CN=sha1-in-chain',
    );
  });

  it('refuses a side with neither certificate nor auto-tls', () => {
    assert.throws(
      () => loadServerTls(security(), 'client', pki.dir),
      (err: unknown) => err instanceof TlsConfigError && err.code === 'NOT_CONFIGURED',
    );
  });
});

describe('loadClientTls', () => {
  it('refuses a client certificate signed with SHA-1, naming the file, before any connection is made', () => {
    const sha1 = pki.issue('sha1-client', { md: 'sha1' });
    assertTlsRefused(
      () => loadClientTls(security({ certFile: sha1.certFile, keyFile: sha1.keyFile }), 'peer', pki.dir),
      'CERT_REFUSED',
      sha1.certFile,
      'peer-cert-file',
      'ca md too weak',
    );
  });
});

describe('auto-tls', () => {
  it('makes a self-signed certificate under <data-dir>/fixtures/<side>/, with a warning that it is not for production', () => {
    const dataDir = join(pki.dir, 'auto.kvd');
    const log = captureLog();
    const tls = loadServerTls(security({ autoTls: true }), 'peer', dataDir, {
      hosts: ['10.1.2.3', 'kvd.example'],
      logger: log.logger,
    });
    assert.deepEqual(tls.files, [
      join(dataDir, 'fixtures', 'peer', 'cert.pem'),
      join(dataDir, 'fixtures', 'peer', 'key.pem'),
    ]);
    assert.equal(tls.selfSigned, true);
    const cert = new X509Certificate(readFileSync(first(tls.files)));
    assert.equal(cert.checkIP('10.1.2.3'), '10.1.2.3');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkHost('kvd.example'), 'kvd.example');
    assert.ok(cert.verify(cert.publicKey), 'self-signed');
    assert.ok(log.entries().some((e) => e.level === 40 && e.msg.includes('not for production')));
  });

  it('reuses the certificate it made on the next start', () => {
    const dataDir = join(pki.dir, 'reuse.kvd');
    const first = loadServerTls(security({ autoTls: true }), 'client', dataDir);
    const second = loadServerTls(security({ autoTls: true }), 'client', dataDir);
    assert.equal(second.secureContext.cert, first.secureContext.cert);
  });

  it('uses the configured certificate instead when one is given', () => {
    const tls = loadServerTls(
      security({ autoTls: true, certFile: server.certFile, keyFile: server.keyFile }),
      'client',
      join(pki.dir, 'unused.kvd'),
    );
    assert.equal(tls.selfSigned, false);
    assert.equal(tls.secureContext.cert, readFileSync(server.certFile, 'utf8'));
  });
});
