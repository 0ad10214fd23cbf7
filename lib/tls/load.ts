import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import type { PeerTransportSecurity, TransportSecurity } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { ensureSelfSigned } from './auto.js';
import { checkContext } from './context-check.js';
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

/** Secure-context options whose material is PEM text. */
export type PemSecureContext = SecureContextOptions & {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string;
};

export interface ServerTls {
  readonly side: TlsSide;
  /** What `server.setSecureContext()` takes; also part of `serverOptions`. */
  readonly secureContext: PemSecureContext;
  /** For `https.createServer` / `http2.createSecureServer` / `tls.createServer`. */
  readonly serverOptions: PemSecureContext & { requestCert: boolean; rejectUnauthorized: boolean };
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
  /** The served certificate's serial number (hex), to tell a rotated certificate from the one before. */
  readonly serial: string;
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
    throw new TlsConfigError(
      'NOT_CONFIGURED',
      undefined,
      `${side} TLS is needed but neither ${keys.cert}/${keys.key} nor ${side === 'client' ? 'auto-tls' : 'peer-auto-tls'} is set; configure a certificate`,
    );
  }
  const hosts = [...new Set([...(opts.hosts ?? []), '127.0.0.1', 'localhost'])];
  const files = ensureSelfSigned(dataDir, side, hosts);
  opts.logger?.warn(
    { side, certFile: files.certFile, generated: files.generated },
    `${side} auto-tls: using a self-signed certificate; it is not for production (peers and clients cannot verify it)`,
  );
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
  checkContext(side, {
    certFile: material.certFile,
    cert: pair.cert,
    keyFile: material.keyFile,
    key: pair.key,
    caFile: sec.trustedCaFile,
    ca,
  });
  const secureContext: PemSecureContext = {
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
    serial: pair.leaf.serialNumber,
  };
}

function identityCheck(sec: TransportSecurity | PeerTransportSecurity): (cert: X509Certificate) => string | undefined {
  const allowedCn = 'allowedCn' in sec ? sec.allowedCn : undefined;
  const allowedHostname = 'allowedHostname' in sec ? sec.allowedHostname : undefined;
  if (allowedCn !== undefined) {
    return (cert) => {
      const cns = commonNames(cert);
      return cns.includes(allowedCn)
        ? undefined
        : `certificate CN ${JSON.stringify(cns.join(','))} is not the allowed CN ${JSON.stringify(allowedCn)}`;
    };
  }
  if (allowedHostname !== undefined) {
    return (cert) => {
      const ok = isIP(allowedHostname) ? cert.checkIP(allowedHostname) : cert.checkHost(allowedHostname);
      return ok !== undefined
        ? undefined
        : `certificate is not valid for the allowed hostname ${JSON.stringify(allowedHostname)}`;
    };
  }
  return () => undefined;
}

function commonNames(cert: X509Certificate): string[] {
  return cert.subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3));
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
  let files: { certFile: string; keyFile: string } | undefined;
  if (explicit || sec.autoTls) {
    files = certificateFiles(sec, side, dataDir, opts);
    pair = loadKeyPair(side, files.certFile, files.keyFile);
  }
  const ca = sec.trustedCaFile !== undefined ? loadCa(side, sec.trustedCaFile) : undefined;
  checkContext(side, { ...files, cert: pair?.cert, key: pair?.key, caFile: sec.trustedCaFile, ca });
  return dialOptions(side, pair, ca, !explicit && sec.autoTls, opts.logger);
}

/**
 * The dialing half of material already loaded for serving: a member presents
 * to its peers the certificate it serves them (etcd's peer certificates are
 * for both uses). Reading no file, it cannot fail, so certificate rotation
 * derives the new dialing options from the validated new material.
 */
export function dialTlsOf(tls: ServerTls, logger?: Logger): ConnectionOptions {
  const { cert, key, ca } = tls.secureContext;
  return dialOptions(tls.side, { cert, key }, ca, tls.selfSigned, logger);
}

function dialOptions(
  side: TlsSide,
  pair: Pick<KeyPair, 'cert' | 'key'> | undefined,
  ca: string | undefined,
  selfSigned: boolean,
  logger: Logger | undefined,
): ConnectionOptions {
  if (selfSigned) {
    logger?.warn({ side }, `${side} auto-tls: not verifying the certificates of the servers dialed`);
  }
  return {
    ...(pair !== undefined ? { cert: pair.cert, key: pair.key } : {}),
    ...(ca !== undefined ? { ca } : {}),
    minVersion: MIN_TLS_VERSION,
    ciphers: CIPHERS,
    rejectUnauthorized: !selfSigned,
  };
}
