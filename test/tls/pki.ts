// A throw-away PKI made with the openssl command, for TLS tests: a CA, and
// certificates with chosen names and validity dates (`openssl ca -startdate
// -enddate`, since this openssl has no `x509 -not_before`).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DAY_MS = 24 * 3600 * 1000;

export interface IssuedCert {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface IssueOptions {
  readonly cn?: string;
  /** The whole subject instead of `/O=kvd test/CN=<cn>`, e.g. `/O=kvd test` (no CN). */
  readonly subject?: string;
  /** The digest the CA signs with; default sha256. */
  readonly md?: 'sha256' | 'sha1';
  /** Leave out the subject and authority key identifiers (as some tools' certificates lack them). */
  readonly noKeyIdentifiers?: boolean;
  readonly sans?: readonly string[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

function opensslDate(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'kvd-tls-test-'));
  readonly caFile = join(this.dir, 'ca.pem');
  private readonly caKey = join(this.dir, 'ca-key.pem');

  /** `caSubject`: the CA's subject, by default `/O=kvd test/CN=kvd test CA`. */
  constructor(caSubject = '/O=kvd test/CN=kvd test CA') {
    mkdirSync(join(this.dir, 'issued'));
    writeFileSync(join(this.dir, 'index.txt'), '');
    writeFileSync(
      join(this.dir, 'openssl.cnf'),
      [
        '[ca]',
        'default_ca = test',
        '[test]',
        'database = index.txt',
        'new_certs_dir = issued',
        'rand_serial = yes',
        'default_md = sha256',
        'policy = any',
        'unique_subject = no',
        'email_in_dn = no',
        '[any]',
        'commonName = optional',
        'organizationName = optional',
        '[req]',
        'distinguished_name = dn',
        'prompt = no',
        '[dn]',
        'CN = unused',
        '[ca_ext]',
        'basicConstraints = critical, CA:TRUE',
        'keyUsage = critical, keyCertSign, cRLSign',
        '',
      ].join('\n'),
    );
    openssl(
      [
        'req',
        '-x509',
        '-config',
        'openssl.cnf',
        '-extensions',
        'ca_ext',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        this.caKey,
        '-out',
        this.caFile,
        '-days',
        '30',
        '-subj',
        caSubject,
      ],
      this.dir,
    );
  }

  /** Issues `<name>.pem` and `<name>-key.pem`, by default valid from yesterday for 30 days, for 127.0.0.1 and localhost. */
  issue(name: string, opts: IssueOptions = {}): IssuedCert {
    const now = Date.now();
    const certFile = join(this.dir, `${name}.pem`);
    const keyFile = join(this.dir, `${name}-key.pem`);
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    const sans = (opts.sans ?? ['IP:127.0.0.1', 'DNS:localhost']).join(', ');
    writeFileSync(
      ext,
      [
        '[ext]',
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature, keyEncipherment',
        'extendedKeyUsage = serverAuth, clientAuth',
        `subjectAltName = ${sans}`,
        ...(opts.noKeyIdentifiers ? ['subjectKeyIdentifier = none', 'authorityKeyIdentifier = none'] : []),
        '',
      ].join('\n'),
    );
    openssl(
      [
        'req',
        '-new',
        '-config',
        'openssl.cnf',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        csr,
        '-subj',
        opts.subject ?? `/O=kvd test/CN=${opts.cn ?? name}`,
      ],
      this.dir,
    );
    openssl(
      [
        'ca',
        '-config',
        'openssl.cnf',
        '-batch',
        '-notext',
        '-cert',
        this.caFile,
        '-keyfile',
        this.caKey,
        '-in',
        csr,
        '-out',
        certFile,
        '-extfile',
        ext,
        '-extensions',
        'ext',
        '-md',
        opts.md ?? 'sha256',
        '-startdate',
        opensslDate(opts.notBefore ?? new Date(now - DAY_MS)),
        '-enddate',
        opensslDate(opts.notAfter ?? new Date(now + 30 * DAY_MS)),
      ],
      this.dir,
    );
    return { certFile, keyFile };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
