// Reading and checking certificate, key and CA files: a member must refuse to
// start (or to rotate) with material that cannot work, naming the file.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TlsConfigError } from './errors.js';

export type TlsSide = 'client' | 'peer';

/** The config keys of one side, for messages an operator can act on. */
export interface SideKeys {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export function sideKeys(side: TlsSide): SideKeys {
  return side === 'client'
    ? { cert: 'cert-file', key: 'key-file', ca: 'trusted-ca-file' }
    : { cert: 'peer-cert-file', key: 'peer-key-file', ca: 'peer-trusted-ca-file' };
}

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
  readonly leaf: X509Certificate;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readPem(side: TlsSide, key: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new TlsConfigError(
        'FILE_MISSING',
        file,
        `${side} TLS: ${key} ${JSON.stringify(file)} does not exist; create it or point ${key} at the right file`,
      );
    }
    throw new TlsConfigError(
      'FILE_UNREADABLE',
      file,
      `${side} TLS: ${key} ${JSON.stringify(file)} cannot be read (${code ?? String(err)}); make it a file readable by kvd`,
    );
  }
}

/** The file's certificates in order: at least one, or it throws. */
function parseCertificates(
  side: TlsSide,
  key: string,
  file: string,
  pem: string,
): [X509Certificate, ...X509Certificate[]] {
  const [first, ...rest] = pem.match(PEM_CERT) ?? [];
  if (first === undefined) {
    throw new TlsConfigError(
      key.endsWith('ca-file') ? 'CA_INVALID' : 'CERT_INVALID',
      file,
      `${side} TLS: ${key} ${JSON.stringify(file)} holds no PEM certificate; give a file with -----BEGIN CERTIFICATE----- blocks`,
    );
  }
  const parse = (block: string): X509Certificate => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new TlsConfigError(
        key.endsWith('ca-file') ? 'CA_INVALID' : 'CERT_INVALID',
        file,
        `${side} TLS: ${key} ${JSON.stringify(file)} holds a certificate that cannot be parsed (${(err as Error).message}); regenerate it`,
      );
    }
  };
  return [parse(first), ...rest.map(parse)];
}

function checkValidity(side: TlsSide, key: string, file: string, cert: X509Certificate, now: Date): void {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now < notBefore) {
    throw new TlsConfigError(
      'CERT_NOT_YET_VALID',
      file,
      `${side} TLS: ${key} ${JSON.stringify(file)} is not valid before ${notBefore.toISOString()}; check the clock or use a certificate that is valid now`,
    );
  }
  if (now > notAfter) {
    throw new TlsConfigError(
      'CERT_EXPIRED',
      file,
      `${side} TLS: ${key} ${JSON.stringify(file)} expired at ${notAfter.toISOString()}; renew the certificate`,
    );
  }
}

/** A certificate (chain, leaf first) and its private key, checked to belong together and to be valid now. */
export function loadKeyPair(side: TlsSide, certFile: string, keyFile: string, now = new Date()): KeyPair {
  const keys = sideKeys(side);
  const cert = readPem(side, keys.cert, certFile);
  const [leaf] = parseCertificates(side, keys.cert, certFile, cert);
  checkValidity(side, keys.cert, certFile, leaf, now);
  const key = readPem(side, keys.key, keyFile);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new TlsConfigError(
      'KEY_INVALID',
      keyFile,
      `${side} TLS: ${keys.key} ${JSON.stringify(keyFile)} is not an unencrypted PEM private key (${(err as Error).message}); give the key without a passphrase`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsConfigError(
      'KEY_MISMATCH',
      keyFile,
      `${side} TLS: ${keys.key} ${JSON.stringify(keyFile)} does not match ${keys.cert} ${JSON.stringify(certFile)}; give the private key the certificate was issued for`,
    );
  }
  return { cert, key, leaf };
}

/** A CA bundle: at least one certificate, every one parseable. */
export function loadCa(side: TlsSide, caFile: string): string {
  const keys = sideKeys(side);
  const pem = readPem(side, keys.ca, caFile);
  parseCertificates(side, keys.ca, caFile, pem);
  return pem;
}
