import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import type { PeerTransportSecurity, TransportSecurity } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { ensureSelfSigned } from './auto.js';
import { TlsConfigError } from './errors.js';
import { loadCa, loadKeyPair, sideKeys, type KeyPair, type TlsSide } from './material.js';

/** TLS 1.3 suites, then TLS 1.2 ECDHE with AEAD ciphers only (forward secrecy, no CBC). */
export const CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const MIN_TLS_VERSION = 'TLSv1.2';

export interface TlsLoadOptions {
  /** Hosts the auto-tls certificate must be valid for (listen and advertised hosts); 127.0.0.1 and localhost are always added. */
  readonly hosts?: readonly string[];
  readonly logger?: Logger;
}

export interface ServerTls {
  readonly side: TlsSide;
  /** What `server.setSecureContext()` takes; also part of `serverOptions`. */
  readonly secureContext: SecureContextOptions;
  /** For `https.createServer` / `http2.createSecureServer` / `tls.createServer`. */
  readonly serverOptions: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };
  /**
   * The allowed-cn / allowed-hostname check for a verified client certificate
   * (`socket.getPeerX509Certificate()` after 'secureConnection'): the reason to
   * refuse it, or undefined to accept. Accepts everything when neither is set.
   */
  readonly checkPeerIdentity: (cert: X509Certificate) => string | undefined;
  /** The files the material came from, for the reloader to watch. */
  readonly files: readonly string[];
  readonly selfSigned: boolean;
  /** When the served certificate expires. */
  readonly notAfter: Date;
}

interface Material {
  readonly certFile: string;
  readonly keyFile: string;
  readonly selfSigned: boolean;
}

function certificateFiles(sec: TransportSecurity, side: TlsSide, dataDir: string, opts: TlsLoadOptions): Material {
  if (sec.certFile !== undefined && sec.keyFile !== undefined) {
    return { certFile: sec.certFile, keyFile: sec.keyFile, selfSigned: false };
  }
  if (!sec.autoTls) {
    const keys = sideKeys(side);
    throw new TlsConfigError('NOT_CONFIGURED', undefined,
      `${side} TLS is needed but neither ${keys.cert}/${keys.key} nor ${side === 'client' ? 'auto-tls' : 'peer-auto-tls'} is set; configure a certificate`);
  }
  const hosts = [...new Set([...(opts.hosts ?? []), '127.0.0.1', 'localhost'])];
  const files = ensureSelfSigned(dataDir, side, hosts);
  opts.logger?.warn({ side, certFile: files.certFile, generated: files.generated },
    `${side} auto-tls: using a self-signed certificate; it is not for production (peers and clients cannot verify it)`);
  return { ...files, selfSigned: true };
}

/**
 * Server-side TLS for one side, from etcd's transport-security settings: reads
 * and checks the files (or makes the auto-tls certificate). Throws TlsConfigError.
 */
export function loadServerTls(
  sec: TransportSecurity | PeerTransportSecurity,
  side: TlsSide,
  dataDir: string,
  opts: TlsLoadOptions = {},
): ServerTls {
  const material = certificateFiles(sec, side, dataDir, opts);
  const pair = loadKeyPair(side, material.certFile, material.keyFile);
  const ca = sec.trustedCaFile !== undefined ? loadCa(side, sec.trustedCaFile) : undefined;
  const secureContext: SecureContextOptions = {
    cert: pair.cert,
    key: pair.key,
    ...(ca !== undefined ? { ca } : {}),
    minVersion: MIN_TLS_VERSION,
    ciphers: CIPHERS,
    honorCipherOrder: true,
  };
  return {
    side,
    secureContext,
    serverOptions: { ...secureContext, requestCert: sec.clientCertAuth, rejectUnauthorized: sec.clientCertAuth },
    checkPeerIdentity: identityCheck(sec),
    files: [material.certFile, material.keyFile, ...(sec.trustedCaFile !== undefined ? [sec.trustedCaFile] : [])],
    selfSigned: material.selfSigned,
    notAfter: new Date(pair.leaf.validTo),
  };
}

function identityCheck(sec: TransportSecurity | PeerTransportSecurity): (cert: X509Certificate) => string | undefined {
  const allowedCn = 'allowedCn' in sec ? sec.allowedCn : undefined;
  const allowedHostname = 'allowedHostname' in sec ? sec.allowedHostname : undefined;
  if (allowedCn !== undefined) {
    return (cert) => {
      const cns = commonNames(cert);
      return cns.includes(allowedCn) ? undefined : `certificate CN ${JSON.stringify(cns.join(','))} is not the allowed CN ${JSON.stringify(allowedCn)}`;
    };
  }
  if (allowedHostname !== undefined) {
    return (cert) => {
      const ok = isIP(allowedHostname) ? cert.checkIP(allowedHostname) : cert.checkHost(allowedHostname);
      return ok !== undefined ? undefined : `certificate is not valid for the allowed hostname ${JSON.stringify(allowedHostname)}`;
    };
  }
  return () => undefined;
}

function commonNames(cert: X509Certificate): string[] {
  return cert.subject.split('\n').filter((line) => line.startsWith('CN=')).map((line) => line.slice(3));
}

/**
 * TLS for dialing the other side (a member dialing its peers): the side's
 * certificate is presented as the client certificate, and the server's is
 * verified against the trusted CA (system roots when none is set). With
 * auto-tls, peers' self-signed certificates cannot be verified, so — as etcd
 * does — verification is off, with a warning.
 */
export function loadClientTls(
  sec: TransportSecurity,
  side: TlsSide,
  dataDir: string,
  opts: TlsLoadOptions = {},
): ConnectionOptions {
  const explicit = sec.certFile !== undefined && sec.keyFile !== undefined;
  let pair: KeyPair | undefined;
  if (explicit || sec.autoTls) {
    const material = certificateFiles(sec, side, dataDir, opts);
    pair = loadKeyPair(side, material.certFile, material.keyFile);
  }
  const ca = sec.trustedCaFile !== undefined ? loadCa(side, sec.trustedCaFile) : undefined;
  const selfSigned = !explicit && sec.autoTls;
  if (selfSigned) {
    opts.logger?.warn({ side }, `${side} auto-tls: not verifying the certificates of the servers dialed`);
  }
  return {
    ...(pair !== undefined ? { cert: pair.cert, key: pair.key } : {}),
    ...(ca !== undefined ? { ca } : {}),
    minVersion: MIN_TLS_VERSION,
    ciphers: CIPHERS,
    rejectUnauthorized: !selfSigned,
  };
}
