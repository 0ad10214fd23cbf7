// An https:// discovery URL is dialed with the member's client TLS settings:
// trusted-ca-file to verify the service, cert-file/key-file as the client
// certificate it may ask for.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { freePort, MemberProcess, START_UP_MS, tempDir, waitReady, type MemberSpec } from '../support/procs.js';
import { TestPki, type IssuedCert } from '../tls/pki.js';

let pki: TestPki;
let server: IssuedCert;
let client: IssuedCert;

function put(url: string, value: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'PUT',
        ca: readFileSync(pki.caFile),
        cert: readFileSync(client.certFile),
        key: readFileSync(client.keyFile),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(`value=${value}`);
  });
}

async function member(t: TestContext, name: string, extra: string[]): Promise<MemberProcess> {
  const s: MemberSpec = {
    name,
    clientPort: await freePort(),
    peerPort: await freePort(),
    dataDir: join(tempDir(t), name),
  };
  const m = new MemberProcess(s, [
    '--name',
    s.name,
    '--data-dir',
    s.dataDir,
    '--listen-client-urls',
    `http://127.0.0.1:${s.clientPort}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${s.clientPort}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${s.peerPort}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${s.peerPort}`,
    ...extra,
  ]);
  t.after(() => m.kill());
  return m;
}

describe('discovery over https', () => {
  let keyspace: MemberProcess | null = null;
  let dir = '';
  let tokens = 0;

  before(async () => {
    pki = new TestPki();
    server = pki.issue('keyspace');
    client = pki.issue('member');
    dir = mkdtempSync(join(tmpdir(), 'kvd-https-keyspace-'));
    const spec: MemberSpec = {
      name: 'keyspace',
      clientPort: await freePort(),
      peerPort: await freePort(),
      dataDir: join(dir, 'keyspace'),
    };
    const peerURL = `http://127.0.0.1:${spec.peerPort}`;
    keyspace = new MemberProcess(spec, [
      '--name',
      spec.name,
      '--data-dir',
      spec.dataDir,
      '--listen-client-urls',
      `https://127.0.0.1:${spec.clientPort}`,
      '--advertise-client-urls',
      `https://127.0.0.1:${spec.clientPort}`,
      '--listen-peer-urls',
      peerURL,
      '--initial-advertise-peer-urls',
      peerURL,
      '--initial-cluster',
      `keyspace=${peerURL}`,
      '--cert-file',
      server.certFile,
      '--key-file',
      server.keyFile,
      '--trusted-ca-file',
      pki.caFile,
      '--client-cert-auth',
    ]);
    keyspace.start();
  });
  after(async () => {
    await keyspace?.kill();
    rmSync(dir, { recursive: true, force: true });
    pki.remove();
  });

  /** A size-1 token in the https keyspace (which asks for client certificates); returns its discovery URL. */
  async function httpsToken(): Promise<string> {
    const url = `https://127.0.0.1:${keyspace!.spec.clientPort}/v2/keys/_etcd/registry/tls-token-${++tokens}`;
    const deadline = Date.now() + START_UP_MS;
    for (;;) {
      const status = await put(`${url}/_config/size`, '1').catch(() => 0);
      if (status === 201) return url;
      if (Date.now() > deadline || keyspace!.exitCode !== null)
        throw new Error(`keyspace not ready: ${keyspace!.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test('a member with trusted-ca-file and a client certificate bootstraps by it', async (t) => {
    const url = await httpsToken();
    const m = await member(t, 'tls1', [
      '--discovery',
      url,
      '--trusted-ca-file',
      pki.caFile,
      '--cert-file',
      client.certFile,
      '--key-file',
      client.keyFile,
    ]);
    m.start();
    await waitReady(m);
    assert.doesNotMatch(m.stderr, /TLS settings are unused/);
  });

  test('without trusted-ca-file the service certificate is refused, saying which setting to give', async (t) => {
    const url = await httpsToken();
    const m = await member(t, 'tls2', [
      '--discovery',
      url,
      '--cert-file',
      client.certFile,
      '--key-file',
      client.keyFile,
    ]);
    m.start();
    assert.equal(await m.waitExit(20_000), 1);
    assert.match(
      m.stderr,
      /kvd: discovery: the certificate of the discovery service at https:\/\/127\.0\.0\.1:\d+\/v2\/keys\/_etcd\/registry\/tls-token-\d+ is refused \(.*\): set trusted-ca-file/,
    );
  });
});
