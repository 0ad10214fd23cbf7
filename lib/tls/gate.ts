// The door of a TLS listener: turns away clients without a trusted
// certificate and logs who was refused and why (address, reason, the
// certificate's public fields; never key material), at a bounded rate.
//
// Node's own `rejectUnauthorized` destroys a client with an untrusted or
// expired certificate before the server is told anything: neither its address
// nor its certificate can be logged afterwards. So a listener requests the
// certificate, lets the handshake finish, and calls admit() first thing in
// 'secureConnection', before a byte of application data is read. That is the
// point where Node refuses too; the only difference on the wire is that a
// client sending no certificate at all sees the connection closed instead of
// a "certificate required" alert.
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { Logger } from '../log/index.js';
import type { TlsSide } from './material.js';
import { RefusalLog, type RefusalLogOptions } from './refusal-log.js';

export type ListenerTlsOptions = SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean };

/** The public fields of a certificate a peer presented, for log lines. */
export interface PresentedCertificate {
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly notAfter: string;
}

export class TlsGate {
  /** What to create the TLS server with: the certificate is requested, and admit() (not Node) refuses an untrusted one. */
  readonly serverOptions: ListenerTlsOptions;
  private readonly requireTrusted: boolean;
  private readonly refusals: RefusalLog;

  constructor(
    options: ListenerTlsOptions,
    private readonly logger: Logger,
    private readonly side: TlsSide,
    limits: RefusalLogOptions = {},
  ) {
    this.requireTrusted = options.requestCert === true && options.rejectUnauthorized !== false;
    this.serverOptions = this.requireTrusted ? { ...options, rejectUnauthorized: false } : options;
    this.refusals = new RefusalLog(logger, `refused TLS ${side} connection`, limits);
  }

  /**
   * For 'secureConnection': true when the connection may be served. When the
   * listener requires a trusted client certificate and this one has none or an
   * untrusted one, the refusal is logged, the socket destroyed, and false returned.
   */
  admit(socket: TLSSocket): boolean {
    if (!this.requireTrusted || socket.authorized) return true;
    const certificate = presentedCertificate(socket);
    const code = String(socket.authorizationError ?? 'UNKNOWN');
    this.refusals.refused({
      side: this.side,
      remote: remoteAddress(socket),
      reason: certificate === undefined ? 'no client certificate' : untrustedReason(code, socket),
      code: certificate === undefined ? 'NO_CERTIFICATE' : code,
      ...(certificate !== undefined ? { certificate } : {}),
    });
    socket.destroy();
    return false;
  }

  /**
   * For 'tlsClientError'. A handshake TLS refused (no common protocol
   * version or cipher, plain HTTP on the TLS port, a timeout) is logged as a
   * refusal; a client that left before finishing is only worth a debug line.
   */
  handshakeFailed(err: Error, socket: TLSSocket): void {
    const e = err as NodeJS.ErrnoException & { reason?: string };
    const code = e.code ?? 'UNKNOWN';
    if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT' || code.startsWith('ERR_SSL_')) {
      this.refusals.refused({ side: this.side, remote: remoteAddress(socket), reason: handshakeReason(e), code });
      return;
    }
    this.logger.debug({ side: this.side, remote: remoteAddress(socket), code }, 'TLS client left during the handshake');
  }

  /** Reports refusals the rate limit held back. */
  close(): void {
    this.refusals.close();
  }
}

/** The certificate the other side of a TLS connection presented, or undefined (none, or not TLS). */
export function presentedCertificate(socket: TLSSocket): PresentedCertificate | undefined {
  let cert;
  try {
    cert = socket.getPeerX509Certificate();
  } catch {
    return undefined;
  }
  if (cert === undefined) return undefined;
  return {
    subject: cert.subject.split('\n').join(', '),
    issuer: cert.issuer.split('\n').join(', '),
    serial: cert.serialNumber,
    notAfter: new Date(cert.validTo).toISOString(),
  };
}

/** `address:port` of the other side (`[v6]:port`), or 'unknown' once the socket let go of it. */
export function remoteAddress(socket: TLSSocket): string {
  const address = socket.remoteAddress;
  if (address === undefined) return 'unknown';
  return `${address.includes(':') ? `[${address}]` : address}:${socket.remotePort}`;
}

const UNTRUSTED: Record<string, string> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_REVOKED: 'certificate was revoked',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate is not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate is not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate is not signed by a trusted CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'certificate is not signed by a trusted CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'certificate is self-signed and not trusted',
  CERT_SIGNATURE_FAILURE: 'certificate signature does not verify',
  INVALID_PURPOSE: 'certificate may not be used for TLS client authentication',
};

/**
 * OpenSSL takes a certificate whose subject equals its issuer's (and that
 * names no key identifiers) for self-signed, whoever signed it; Go builds
 * the chain and accepts it when a trusted CA signed it. Such a refusal gets
 * its own reason, so that the operator knows what to reissue (docs/tls.md).
 */
const SAME_SUBJECT_AS_ISSUER =
  'certificate has the same subject as its issuer, so OpenSSL takes it for self-signed; reissue it with a subject of its own (e.g. a CN) or with key identifiers';

/** Whether the presented certificate names itself as issuer but is not signed by its own key. */
function signedByAnother(socket: TLSSocket): boolean {
  try {
    const cert = socket.getPeerX509Certificate();
    return cert !== undefined && cert.subject === cert.issuer && !cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

function untrustedReason(code: string, socket: TLSSocket): string {
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT' && signedByAnother(socket)) return SAME_SUBJECT_AS_ISSUER;
  return UNTRUSTED[code] ?? `certificate is not trusted (${code})`;
}

function handshakeReason(err: NodeJS.ErrnoException & { reason?: string }): string {
  if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'TLS handshake timed out';
  if (err.code === 'ERR_SSL_HTTP_REQUEST') return 'plain HTTP sent to the TLS port';
  return `TLS handshake failed: ${err.reason ?? err.code}`;
}
