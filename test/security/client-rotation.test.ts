// Rotating the client-side certificate of a running member: new connections
// get the new certificate, established HTTP/2 sessions carry on with theirs.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { eventually, freePort } from '../support/procs.js';
import { TestPki, type IssuedCert } from '../tls/pki.js';
import {
  cleanUp,
  clientTls,
  h2Request,
  installCert,
  Kvd,
  memberFlags,
  scratchDir,
  serialOf,
  servedSerial,
  waitHttpsReady,
} from './helpers.js';

const pki = new TestPki();
const client = pki.issue('client');
const original = pki.issue('server-1');
const byFileChange = pki.issue('server-2');
const bySighup = pki.issue('server-3');
const mismatched = pki.issue('server-4');

after(async () => {
  await cleanUp();
  pki.remove();
});

describe('client certificate rotation on a running member', () => {
  let member: Kvd;
  let url: string;
  let port: number;
  let live: IssuedCert;
  let session: http2.ClientHttp2Session;
  /** The certificate the session was established with. */
  let sessionSerial: string | undefined;
  /** Set if the member closed the session (GOAWAY) or it dropped. */
  let sessionEnded = false;
  const tlsOptions = () => clientTls(pki.caFile, client);

  before(async () => {
    const dir = scratchDir();
    live = { certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server-key.pem') };
    installCert(original, live);
    port = await freePort();
    url = `https://127.0.0.1:${port}`;
    member = new Kvd(
      'rotating',
      memberFlags({
        name: 'rotating',
        dataDir: join(dir, 'data'),
        listenClientUrls: [url],
        peerUrl: `http://127.0.0.1:${await freePort()}`,
        extra: [
          '--cert-file',
          live.certFile,
          '--key-file',
          live.keyFile,
          '--client-cert-auth',
          '--trusted-ca-file',
          pki.caFile,
        ],
      }),
    ).start();
    await waitHttpsReady(member, `${url}/health`, tlsOptions());
    session = http2.connect(url, tlsOptions());
    await new Promise((resolve) => session.once('connect', resolve));
    sessionSerial = (session.socket as TLSSocket).getPeerX509Certificate()?.serialNumber;
    session.on('goaway', () => (sessionEnded = true));
    session.on('close', () => (sessionEnded = true));
    session.on('error', () => undefined);
    const put = await h2Request(session, '/v2/keys/rotation', 'PUT', 'value=before');
    assert.equal(put.status, 201);
  });

  after(() => session.destroy());

  it('serves a certificate replaced on disk to new connections, and says so in its log', async () => {
    assert.equal(await servedSerial(port, tlsOptions()), serialOf(original));
    const mark = member.logs().length;
    installCert(byFileChange, live);
    await eventually(
      async () => (await servedSerial(port, tlsOptions())) === serialOf(byFileChange),
      15_000,
      'the new certificate served',
    );
    const line = await member.waitForLog('reload logged', (l) => l.msg === 'client TLS certificate reloaded', mark);
    assert.equal(line.trigger, 'file change');
    assert.equal(line.serial, serialOf(byFileChange));
  });

  it('keeps an HTTP/2 session established with the old certificate working after the rotation', async () => {
    const get = await h2Request(session, '/v2/keys/rotation');
    assert.equal(get.status, 200);
    assert.equal(JSON.parse(get.body).node.value, 'before');
    assert.equal(sessionSerial, serialOf(original));
    assert.equal(sessionEnded, false);
  });

  it('reloads on SIGHUP', async () => {
    const mark = member.logs().length;
    installCert(bySighup, live);
    member.signal('SIGHUP');
    const line = await member.waitForLog('reload logged', (l) => l.msg === 'client TLS certificate reloaded', mark);
    // The file poll would have said 'file change': the signal got there first.
    assert.equal(line.trigger, 'SIGHUP');
    assert.equal(await servedSerial(port, tlsOptions()), serialOf(bySighup));
    const put = await h2Request(session, '/v2/keys/rotation', 'PUT', 'value=after');
    assert.equal(put.status, 200);
    assert.equal(sessionEnded, false);
  });

  it('keeps serving the current certificate when the new key does not match, naming the file', async () => {
    const mark = member.logs().length;
    installCert({ certFile: bySighup.certFile, keyFile: mismatched.keyFile }, live);
    member.signal('SIGHUP');
    const line = await member.waitForLog('rejection logged', (l) => l.level === 50 && l.code === 'KEY_MISMATCH', mark);
    assert.equal(line.file, live.keyFile);
    assert.match(line.msg, /keeping the current client certificate/);
    assert.equal(await servedSerial(port, tlsOptions()), serialOf(bySighup));
    assert.equal((await h2Request(session, '/v2/keys/rotation')).status, 200);
    assert.equal(sessionEnded, false);
  });
});
