// auto-tls: a self-signed certificate per side under <data-dir>/fixtures/,
// made with the openssl command (node's crypto cannot issue X.509
// certificates), and reused across restarts while it stays valid.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { TlsConfigError } from './errors.js';
import { loadKeyPair, type TlsSide } from './material.js';

const VALID_DAYS = 365;

export interface SelfSignedFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** False when a still-valid certificate from an earlier start was reused. */
  readonly generated: boolean;
}

export function selfSignedDir(dataDir: string, side: TlsSide): string {
  return join(dataDir, 'fixtures', side);
}

/** Makes (or reuses) `cert.pem` and `key.pem` valid for `hosts` (IPs and DNS names). */
export function ensureSelfSigned(dataDir: string, side: TlsSide, hosts: readonly string[]): SelfSignedFiles {
  const dir = selfSignedDir(dataDir, side);
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile) && reusable(side, certFile, keyFile, hosts)) {
    return { certFile, keyFile, generated: false };
  }
  const tmpCert = `${certFile}.tmp`;
  const tmpKey = `${keyFile}.tmp`;
  const cnf = join(dir, 'openssl.cnf');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(cnf, opensslConfig(side, hosts));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-config',
        cnf,
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        tmpKey,
        '-out',
        tmpCert,
        '-days',
        String(VALID_DAYS),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    chmodSync(tmpKey, 0o600);
    renameSync(tmpKey, keyFile);
    renameSync(tmpCert, certFile);
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new TlsConfigError(
      'AUTO_TLS_FAILED',
      certFile,
      `${side} TLS: auto-tls could not create a self-signed certificate in ${JSON.stringify(dir)} (${stderr || (err as Error).message}); ` +
        'check that the data directory is writable and the openssl command is installed',
    );
  } finally {
    rmSync(cnf, { force: true });
    rmSync(tmpCert, { force: true });
    rmSync(tmpKey, { force: true });
  }
  return { certFile, keyFile, generated: true };
}

function reusable(side: TlsSide, certFile: string, keyFile: string, hosts: readonly string[]): boolean {
  try {
    const { leaf } = loadKeyPair(side, certFile, keyFile);
    return hosts.every((h) => (isIP(h) ? leaf.checkIP(h) : leaf.checkHost(h)) !== undefined);
  } catch {
    return false;
  }
}

function opensslConfig(side: TlsSide, hosts: readonly string[]): string {
  const san = hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(', ');
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    'x509_extensions = ext',
    '[dn]',
    'O = kvd',
    `CN = kvd auto-tls ${side}`,
    '[ext]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth, clientAuth',
    `subjectAltName = ${san}`,
    '',
  ].join('\n');
}
