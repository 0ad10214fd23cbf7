// OpenSSL's own refusals of certificate material: a certificate signed with
// SHA-1 or MD5 ("ca md too weak"), a key too small for its security level,
// and anything else it raises when it builds a TLS context. Node raises them
// only when a server or a connection is created, long after the files were
// read; building the context once while loading turns them into a refusal
// that names the file, like every other problem with the material.
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { TlsConfigError } from './errors.js';
import { sideKeys, type TlsSide } from './material.js';

export interface ContextMaterial {
  readonly certFile?: string;
  readonly cert?: string;
  readonly keyFile?: string;
  readonly key?: string;
  readonly caFile?: string;
  readonly ca?: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

type OpenSslError = Error & { code?: string; reason?: string };

/** What OpenSSL said, in the words an operator can act on. */
function explain(err: OpenSslError): string {
  const said = err.reason ?? err.message;
  switch (err.code) {
    case 'ERR_SSL_CA_MD_TOO_WEAK':
    case 'ERR_SSL_EE_MD_TOO_WEAK':
      return `it is signed with a digest OpenSSL refuses as too weak (${said}; SHA-1 and MD5 are refused); reissue it signed with SHA-256`;
    case 'ERR_SSL_EE_KEY_TOO_SMALL':
    case 'ERR_SSL_CA_KEY_TOO_SMALL':
      return `its key is too small for OpenSSL (${said}); reissue it with a 2048-bit RSA key or an EC key`;
    default:
      return `OpenSSL refuses it (${said}); check that it is a certificate for TLS`;
  }
}

function attempt(options: Parameters<typeof createSecureContext>[0]): OpenSslError | null {
  try {
    createSecureContext(options);
    return null;
  } catch (err) {
    return err as OpenSslError;
  }
}

/**
 * Builds the TLS context `material` makes, as a server or a dialing client
 * would; throws TlsConfigError naming the file (and the certificate in a
 * chain) OpenSSL refused.
 */
export function checkContext(side: TlsSide, material: ContextMaterial): void {
  const { cert, key, ca } = material;
  if (attempt({ cert, key, ca }) === null) return;
  const keys = sideKeys(side);
  if (cert !== undefined && material.certFile !== undefined) {
    for (const block of cert.match(PEM_CERT) ?? []) {
      const err = attempt({ cert: block });
      if (err === null) continue;
      const subject = new X509Certificate(block).subject.split('\n').join(', ');
      throw new TlsConfigError(
        'CERT_REFUSED',
        material.certFile,
        `${side} TLS: ${keys.cert} ${JSON.stringify(material.certFile)} holds a certificate OpenSSL will not serve (${subject}): ${explain(err)}`,
      );
    }
  }
  if (key !== undefined && material.keyFile !== undefined) {
    const err = attempt({ key });
    if (err !== null) {
      throw new TlsConfigError(
        'KEY_INVALID',
        material.keyFile,
        `${side} TLS: ${keys.key} ${JSON.stringify(material.keyFile)} cannot be used: ${explain(err)}`,
      );
    }
  }
  if (ca !== undefined && material.caFile !== undefined) {
    const err = attempt({ ca });
    if (err !== null) {
      throw new TlsConfigError(
        'CA_INVALID',
        material.caFile,
        `${side} TLS: ${keys.ca} ${JSON.stringify(material.caFile)} cannot be used: ${explain(err)}`,
      );
    }
  }
  const err = attempt({ cert, key, ca })!;
  const files = [material.certFile, material.keyFile, material.caFile].filter((f) => f !== undefined);
  throw new TlsConfigError(
    'CERT_REFUSED',
    files[0],
    `${side} TLS: ${files.map((f) => JSON.stringify(f)).join(', ')} cannot be used together: ${explain(err)}`,
  );
}
