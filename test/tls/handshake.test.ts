import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../lib/config/index.js';
import { loadClientTls, loadServerTls, TlsGate } from '../../lib/tls/index.js';
import { captureLog, dial, security, withTlsServer } from './helpers.js';
import { TestPki } from './pki.js';

const pki = new TestPki();
after(() => pki.remove());
const server = pki.issue('server', { cn: 'kvd-server' });
const peerA = pki.issue('peer-a', { cn: 'kvd-peer', sans: ['IP:127.0.0.1', 'DNS:peer-a.kvd.test'] });
const stranger = new TestPki();
after(() => stranger.remove());
const outsider = stranger.issue('outsider', { cn: 'kvd-peer' });

const mtls = security({
  certFile: server.certFile,
  keyFile: server.keyFile,
  clientCertAuth: true,
  trustedCaFile: pki.caFile,
});

describe('TLS handshakes with the loaded options', () => {
  it('a client-cert-auth server refuses a client without a certificate', async () => {
    const tls = loadServerTls(mtls, 'client', pki.dir);
    const result = await withTlsServer(tls.serverOptions, (port) => dial(port, { ca: readFileSync(pki.caFile) }));
    assert.equal(result.outcome, 'refused');
  });

  it('a client-cert-auth server refuses a certificate another CA signed', async () => {
    const tls = loadServerTls(mtls, 'client', pki.dir);
    const client = loadClientTls(
      security({ certFile: outsider.certFile, keyFile: outsider.keyFile, trustedCaFile: pki.caFile }),
      'peer',
      pki.dir,
    );
    const result = await withTlsServer(tls.serverOptions, (port) => dial(port, client));
    assert.equal(result.outcome, 'refused');
  });

  it('a peer dialing with loadClientTls presents its certificate and verifies the server against the trusted CA', async () => {
    const tls = loadServerTls(mtls, 'peer', pki.dir);
    const client = loadClientTls(
      security({ certFile: peerA.certFile, keyFile: peerA.keyFile, trustedCaFile: pki.caFile }),
      'peer',
      pki.dir,
    );
    const result = await withTlsServer(tls.serverOptions, (port) => dial(port, client));
    assert.equal(result.outcome, 'accepted');
  });

  it('a client refuses a server whose certificate its trusted CA did not sign', async () => {
    const tls = loadServerTls(security({ certFile: outsider.certFile, keyFile: outsider.keyFile }), 'peer', pki.dir);
    const client = loadClientTls(security({ trustedCaFile: pki.caFile }), 'peer', pki.dir);
    const result = await withTlsServer(tls.serverOptions, (port) => dial(port, client));
    assert.deepEqual(result, { outcome: 'refused', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('a TLS 1.1 client is refused with a protocol_version alert', async () => {
    const tls = loadServerTls(security({ certFile: server.certFile, keyFile: server.keyFile }), 'client', pki.dir);
    // SECLEVEL=0 lets this client offer TLS 1.1 at all, so the refusal is the server's.
    const legacy = {
      ca: readFileSync(pki.caFile),
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    } as const;
    const result = await withTlsServer(tls.serverOptions, (port) => dial(port, legacy));
    assert.deepEqual(result, { outcome: 'refused', code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
  });

  it('peers on auto-tls reach each other without verifying the self-signed certificates', async () => {
    const dataDir = join(pki.dir, 'auto-peer.kvd');
    const tls = loadServerTls(security({ autoTls: true }), 'peer', dataDir);
    const client = loadClientTls(security({ autoTls: true }), 'peer', join(pki.dir, 'auto-other.kvd'));
    assert.equal(client.rejectUnauthorized, false);
    const result = await withTlsServer(tls.serverOptions, (port) => dial(port, client));
    assert.equal(result.outcome, 'accepted');
  });
});

describe('a client certificate with the same subject as its CA', () => {
  // A CA without a CN, and client certificates with exactly its subject (as a Go client suite makes them).
  const sameSubject = new TestPki('/O=kvd same subject');
  after(() => sameSubject.remove());
  const caServer = sameSubject.issue('server', { cn: 'kvd-server' });
  const sec = security({
    certFile: caServer.certFile,
    keyFile: caServer.keyFile,
    clientCertAuth: true,
    trustedCaFile: sameSubject.caFile,
  });

  async function admitted(client: { certFile: string; keyFile: string }) {
    const tls = loadServerTls(sec, 'client', sameSubject.dir);
    const log = captureLog();
    const gate = new TlsGate(tls.serverOptions, log.logger, 'client');
    const options = loadClientTls(
      security({ certFile: client.certFile, keyFile: client.keyFile, trustedCaFile: sameSubject.caFile }),
      'client',
      sameSubject.dir,
    );
    const result = await withTlsServer(
      gate.serverOptions,
      (port) => dial(port, options),
      (socket) => gate.admit(socket),
    );
    gate.close();
    return {
      outcome: result.outcome,
      refusals: log.entries().filter((e) => e.msg === 'refused TLS client connection'),
    };
  }

  it('is refused when it names no key identifiers (OpenSSL takes it for self-signed), with a reason that says so', async () => {
    const r = await admitted(sameSubject.issue('bare', { subject: '/O=kvd same subject', noKeyIdentifiers: true }));
    assert.equal(r.outcome, 'refused');
    assert.equal(r.refusals.length, 1);
    assert.equal(r.refusals[0]!.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.match(
      String(r.refusals[0]!.reason),
      /^certificate has the same subject as its issuer, so OpenSSL takes it for self-signed/,
    );
  });

  it('is accepted when it carries key identifiers (as openssl and Go issue them by default)', async () => {
    const r = await admitted(sameSubject.issue('with-ids', { subject: '/O=kvd same subject' }));
    assert.equal(r.outcome, 'accepted');
  });
});

describe('peer certificate identity (allowed-cn, allowed-hostname)', () => {
  const peerCert = new X509Certificate(readFileSync(peerA.certFile));
  const serverCert = new X509Certificate(readFileSync(server.certFile));

  it('allowed-cn accepts a certificate with that CN and refuses another', () => {
    const tls = loadServerTls({ ...mtls, allowedCn: 'kvd-peer' }, 'peer', pki.dir);
    assert.equal(tls.checkPeerIdentity(peerCert), undefined);
    assert.match(tls.checkPeerIdentity(serverCert) ?? '', /CN "kvd-server" is not the allowed CN "kvd-peer"/);
  });

  it('allowed-hostname accepts a certificate valid for that host and refuses another', () => {
    const tls = loadServerTls({ ...mtls, allowedHostname: 'peer-a.kvd.test' }, 'peer', pki.dir);
    assert.equal(tls.checkPeerIdentity(peerCert), undefined);
    assert.match(tls.checkPeerIdentity(serverCert) ?? '', /not valid for the allowed hostname "peer-a.kvd.test"/);
  });

  it('without either, every verified certificate is accepted', () => {
    const tls = loadServerTls(mtls, 'peer', pki.dir);
    assert.equal(tls.checkPeerIdentity(serverCert), undefined);
  });

  it('a server applying the check after the handshake drops a peer with the wrong CN', async () => {
    const tls = loadServerTls({ ...mtls, allowedCn: 'kvd-peer' }, 'peer', pki.dir);
    const accept = (socket: TLSSocket) => {
      const cert = socket.getPeerX509Certificate();
      return cert !== undefined && tls.checkPeerIdentity(cert) === undefined;
    };
    const dialAs = (c: { certFile: string; keyFile: string }) =>
      withTlsServer(
        tls.serverOptions,
        (port) => dial(port, loadClientTls(security({ ...c, trustedCaFile: pki.caFile }), 'peer', pki.dir)),
        accept,
      );
    assert.equal((await dialAs(peerA)).outcome, 'accepted');
    assert.equal((await dialAs(server)).outcome, 'refused');
  });
});

describe('config/tls/kvd-tls.yaml with certificates from tools/make-certs.sh', () => {
  it('serves clients over https with client certificates, and peers with mutual TLS', async () => {
    const certs = mkdtempSync(join(tmpdir(), 'kvd-make-certs-'));
    after(() => rmSync(certs, { recursive: true, force: true }));
    const script = new URL('../../tools/make-certs.sh', import.meta.url).pathname;
    execFileSync('bash', [script, certs, '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const file = new URL('../../config/tls/kvd-tls.yaml', import.meta.url).pathname;
    const at = (name: string) => join(certs, name);
    const config = loadConfig(
      [
        '--config-file',
        file,
        '--cert-file',
        at('server.pem'),
        '--key-file',
        at('server-key.pem'),
        '--trusted-ca-file',
        at('ca.pem'),
        '--peer-cert-file',
        at('peer.pem'),
        '--peer-key-file',
        at('peer-key.pem'),
        '--peer-trusted-ca-file',
        at('ca.pem'),
      ],
      {},
    );
    const clientSide = loadServerTls(config.clientTransportSecurity, 'client', config.dataDir);
    const peerSide = loadServerTls(config.peerTransportSecurity, 'peer', config.dataDir);

    const curl = {
      ca: readFileSync(at('ca.pem')),
      cert: readFileSync(at('client.pem')),
      key: readFileSync(at('client-key.pem')),
    };
    assert.equal((await withTlsServer(clientSide.serverOptions, (port) => dial(port, curl))).outcome, 'accepted');
    assert.equal(
      (await withTlsServer(clientSide.serverOptions, (port) => dial(port, { ca: curl.ca }))).outcome,
      'refused',
    );

    const peerDial = loadClientTls(config.peerTransportSecurity, 'peer', config.dataDir);
    const accept = (socket: TLSSocket) => {
      const cert = socket.getPeerX509Certificate();
      return cert !== undefined && peerSide.checkPeerIdentity(cert) === undefined;
    };
    assert.equal(
      (await withTlsServer(peerSide.serverOptions, (port) => dial(port, peerDial), accept)).outcome,
      'accepted',
    );
    assert.equal((await withTlsServer(peerSide.serverOptions, (port) => dial(port, curl), accept)).outcome, 'refused');
  });
});
