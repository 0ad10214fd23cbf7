// HTTPS for clients, with client certificates required, on a real member:
// what curl and etcdctl see, and what the member logs about whom it refused.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { eventually, freePort } from '../support/procs.js';
import { TestPki } from '../tls/pki.js';
import { cleanUp, clientTls, curl, curlTls, Kvd, memberFlags, scratchDir, waitHttpsReady } from './helpers.js';

const pki = new TestPki();
const otherCa = new TestPki();
const server = pki.issue('server');
const client = pki.issue('client', { cn: 'kvd-client' });
const outsider = otherCa.issue('outsider', { cn: 'kvd-outsider' });
const expired = pki.issue('expired', {
  cn: 'kvd-expired',
  notBefore: new Date(Date.now() - 10 * 86_400_000),
  notAfter: new Date(Date.now() - 86_400_000),
});

after(async () => {
  await cleanUp();
  pki.remove();
  otherCa.remove();
});

const REFUSED = 'refused TLS client connection';

function hasEtcdctl(): boolean {
  try {
    execFileSync('etcdctl', ['--version'], { stdio: 'ignore', env: { ...process.env, ETCDCTL_API: '2' } });
    return true;
  } catch {
    return false;
  }
}

describe('a member serving clients over TLS with client-cert-auth', () => {
  let member: Kvd;
  let url: string;
  let plainUrl: string;

  before(async () => {
    const dir = scratchDir();
    url = `https://127.0.0.1:${await freePort()}`;
    plainUrl = `http://127.0.0.1:${await freePort()}`;
    member = new Kvd(
      'tls-member',
      memberFlags({
        name: 'tls-member',
        dataDir: join(dir, 'data'),
        listenClientUrls: [url, plainUrl],
        peerUrl: `http://127.0.0.1:${await freePort()}`,
        extra: [
          '--cert-file',
          server.certFile,
          '--key-file',
          server.keyFile,
          '--client-cert-auth',
          '--trusted-ca-file',
          pki.caFile,
        ],
      }),
    ).start();
    await waitHttpsReady(member, `${url}/health`, clientTls(pki.caFile, client));
  });

  it('answers curl over HTTP/2 with --cacert --cert --key', async () => {
    const put = await curl([
      ...curlTls(pki.caFile, client),
      '--http2',
      '-X',
      'PUT',
      `${url}/v2/keys/message`,
      '-d',
      'value=Hello over h2',
      '-w',
      '\n%{http_version}',
    ]);
    assert.equal(put.code, 0, put.stderr);
    const { body, version } = withVersion(put.stdout);
    assert.equal(version, '2');
    assert.equal(JSON.parse(body).node.value, 'Hello over h2');
  });

  it('answers curl over HTTP/1.1 with --cacert --cert --key', async () => {
    await curl([...curlTls(pki.caFile, client), '-X', 'PUT', `${url}/v2/keys/h1`, '-d', 'value=Hello over h1']);
    const get = await curl([
      ...curlTls(pki.caFile, client),
      '--http1.1',
      `${url}/v2/keys/h1`,
      '-w',
      '\n%{http_version}',
    ]);
    assert.equal(get.code, 0, get.stderr);
    const { body, version } = withVersion(get.stdout);
    assert.equal(version, '1.1');
    assert.equal(JSON.parse(body).node.value, 'Hello over h1');
  });

  it('serves a plain http listener beside the TLS one', async () => {
    await curl([...curlTls(pki.caFile, client), '-X', 'PUT', `${url}/v2/keys/side`, '-d', 'value=by side']);
    const get = await curl([`${plainUrl}/v2/keys/side`]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(JSON.parse(get.stdout).node.value, 'by side');
  });

  it('fails the handshake of a client without a certificate, and logs its address and why', async () => {
    const mark = member.logs().length;
    const r = await curl([...curlTls(pki.caFile), `${url}/v2/keys/message`]);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /Hello/);
    const line = await member.waitForLog('refusal logged', (l) => l.msg === REFUSED, mark);
    assert.equal(line.level, 40);
    assert.match(String(line.remote), /^127\.0\.0\.1:\d+$/);
    assert.equal(line.reason, 'no client certificate');
  });

  it('fails the handshake of a client whose certificate another CA signed, naming the certificate', async () => {
    const r = await curl([...curlTls(pki.caFile, outsider), `${url}/v2/keys/message`]);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /Hello/);
    const line = await member.waitForLog(
      'refusal logged',
      (l) => l.msg === REFUSED && String((l.certificate as { subject?: string })?.subject).includes('CN=kvd-outsider'),
    );
    assert.match(String(line.remote), /^127\.0\.0\.1:\d+$/);
    assert.equal(line.reason, 'certificate is not signed by a trusted CA');
  });

  it('fails the handshake of a client with an expired certificate', async () => {
    const r = await curl([...curlTls(pki.caFile, expired), `${url}/v2/keys/message`]);
    assert.notEqual(r.code, 0);
    const line = await member.waitForLog(
      'refusal logged',
      (l) => l.msg === REFUSED && String((l.certificate as { subject?: string })?.subject).includes('CN=kvd-expired'),
    );
    assert.equal(line.reason, 'certificate has expired');
  });

  it('logs a plain HTTP request to the TLS port as a refused handshake', async () => {
    const r = await curl([`${url.replace('https:', 'http:')}/v2/keys/message`]);
    assert.notEqual(r.code, 0);
    await member.waitForLog(
      'refusal logged',
      (l) => l.msg === REFUSED && l.reason === 'plain HTTP sent to the TLS port',
    );
  });

  it('refuses TLS 1.1 and ciphers without forward secrecy in the handshake, saying why', async () => {
    const mark = member.logs().length;
    const port = new URL(url).port;
    const cert = ['-cert', client.certFile, '-key', client.keyFile, '-CAfile', pki.caFile];
    assert.notEqual(sClient(['-connect', `127.0.0.1:${port}`, '-tls1_1', ...cert]), 0);
    await member.waitForLog(
      'TLS 1.1 refusal',
      (l) => l.msg === REFUSED && l.reason === 'TLS handshake failed: unsupported protocol',
      mark,
    );
    assert.notEqual(sClient(['-connect', `127.0.0.1:${port}`, '-tls1_2', '-cipher', 'AES128-SHA', ...cert]), 0);
    await member.waitForLog(
      'cipher refusal',
      (l) => l.msg === REFUSED && l.reason === 'TLS handshake failed: no shared cipher',
      mark,
    );
  });

  it('never writes key material to its log', () => {
    assert.doesNotMatch(member.stderr, /PRIVATE KEY|BEGIN /);
  });

  it(
    'works with etcdctl v2 given --ca-file --cert-file --key-file',
    { skip: hasEtcdctl() ? false : 'etcdctl is not installed (Debian etcd-client)' },
    () => {
      const env = { ...process.env, ETCDCTL_API: '2' };
      const tlsFlags = [
        '--endpoints',
        url,
        '--ca-file',
        pki.caFile,
        '--cert-file',
        client.certFile,
        '--key-file',
        client.keyFile,
      ];
      execFileSync('etcdctl', [...tlsFlags, 'set', '/etcdctl-tls', 'secured'], { env, stdio: 'pipe' });
      const got = execFileSync('etcdctl', [...tlsFlags, 'get', '/etcdctl-tls'], { env, encoding: 'utf8' });
      assert.equal(got.trim(), 'secured');
      assert.throws(() =>
        execFileSync('etcdctl', ['--endpoints', url, '--ca-file', pki.caFile, 'get', '/etcdctl-tls'], {
          env,
          stdio: 'pipe',
        }),
      );
    },
  );

  it('logs a flood of refused handshakes one by one only up to a limit, and counts the rest', async () => {
    const mark = member.logs().length;
    const attempts = 40;
    for (let i = 0; i < attempts; i++) await refusedHandshake(Number(new URL(url).port));
    const logged = () => member.logs().slice(mark);
    const individual = logged().filter((l) => l.msg === REFUSED).length;
    assert.ok(individual < attempts, `${individual} of ${attempts} refusals logged one by one`);
    // Each rate-limit window (10 s) ends with one warning counting what it held back (earlier
    // tests' refusals may share the window): every refusal of the flood is accounted for.
    await eventually(
      async () => {
        const counted = logged()
          .filter((l) => l.msg.startsWith(`${REFUSED}: `) && l.level === 40)
          .reduce((sum, l) => sum + Number(l.suppressed), 0);
        return individual + counted >= attempts;
      },
      15_000,
      'the suppressed refusals to be counted',
    );
  });
});

/** Exit code of `openssl s_client` with args and no input. */
function sClient(args: string[]): number {
  try {
    execFileSync('openssl', ['s_client', ...args], { input: '', stdio: ['pipe', 'ignore', 'ignore'], timeout: 10_000 });
    return 0;
  } catch (err) {
    return (err as { status?: number }).status ?? 1;
  }
}

/** Splits curl's output written with `-w '\n%{http_version}'`. */
function withVersion(stdout: string): { body: string; version: string } {
  const cut = stdout.lastIndexOf('\n');
  return { body: stdout.slice(0, cut), version: stdout.slice(cut + 1) };
}

/** A TLS connection without a client certificate, until the server closes it. */
function refusedHandshake(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
}
