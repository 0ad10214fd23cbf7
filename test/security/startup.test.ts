// Starting a secure member: auto-tls for trials, refusals that name the bad
// file, and the documented recipe (tools/make-certs.sh + config/tls/kvd-tls.yaml).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, freePort } from '../support/procs.js';
import { TestPki } from '../tls/pki.js';
import {
  cleanUp,
  clientTls,
  curl,
  curlTls,
  Kvd,
  memberFlags,
  scratchDir,
  serialOf,
  servedSerial,
  waitHttpsReady,
} from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const pki = new TestPki();
const server = pki.issue('server');
const expired = pki.issue('expired', {
  notBefore: new Date(Date.now() - 10 * 86_400_000),
  notAfter: new Date(Date.now() - 86_400_000),
});
const sha1 = pki.issue('sha1', { md: 'sha1' });

after(async () => {
  await cleanUp();
  pki.remove();
});

async function secureFlags(name: string, extra: string[]): Promise<string[]> {
  return memberFlags({
    name,
    dataDir: join(scratchDir(), 'data'),
    listenClientUrls: [`https://127.0.0.1:${await freePort()}`],
    peerUrl: `http://127.0.0.1:${await freePort()}`,
    extra,
  });
}

describe('starting a secure member', () => {
  it('with auto-tls serves https on self-signed certificates and warns they are not for production', async () => {
    const dataDir = join(scratchDir(), 'data');
    const clientUrl = `https://127.0.0.1:${await freePort()}`;
    const m = new Kvd(
      'auto',
      memberFlags({
        name: 'auto',
        dataDir,
        listenClientUrls: [clientUrl],
        peerUrl: `https://127.0.0.1:${await freePort()}`,
        extra: ['--auto-tls', '--peer-auto-tls'],
      }),
    ).start();
    await waitHttpsReady(m, `${clientUrl}/health`, { rejectUnauthorized: false });
    const put = await curl(['--insecure', '-X', 'PUT', `${clientUrl}/v2/keys/auto`, '-d', 'value=self-signed']);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(JSON.parse(put.stdout).node.value, 'self-signed');
    const verified = await curl([`${clientUrl}/v2/keys/auto`]);
    assert.notEqual(verified.code, 0, 'a self-signed certificate does not verify');
    for (const side of ['client', 'peer']) {
      const warning = m
        .logs()
        .find((l) => l.level === 40 && l.msg.startsWith(`${side} auto-tls`) && /not for production/.test(l.msg));
      assert.ok(warning, `a ${side} auto-tls warning`);
      assert.ok(existsSync(String(warning.certFile)), `${side} certificate in the data dir`);
      assert.ok(String(warning.certFile).startsWith(dataDir));
    }
  });

  it('refuses to start without its key file, naming the file', async () => {
    const missing = join(scratchDir(), 'missing-key.pem');
    const m = new Kvd(
      'no-key',
      await secureFlags('no-key', ['--cert-file', server.certFile, '--key-file', missing]),
    ).start();
    assert.equal(await m.exited(), 2);
    assert.ok(m.stderr.includes(`kvd: client TLS: key-file "${missing}" does not exist`), m.stderr);
  });

  it('refuses to start with an expired certificate, naming the file', async () => {
    const m = new Kvd(
      'expired',
      await secureFlags('expired', ['--cert-file', expired.certFile, '--key-file', expired.keyFile]),
    ).start();
    assert.equal(await m.exited(), 2);
    assert.ok(m.stderr.includes(`kvd: client TLS: cert-file "${expired.certFile}" expired at`), m.stderr);
  });

  it('refuses to start with a certificate signed with SHA-1: one line naming the file and the reason, exit 2, no stack trace', async () => {
    for (const side of [
      ['--cert-file', '--key-file'],
      ['--peer-cert-file', '--peer-key-file'],
    ]) {
      const m = new Kvd(
        'sha1',
        await secureFlags('sha1', [
          '--cert-file',
          server.certFile,
          '--key-file',
          server.keyFile,
          side[0]!,
          sha1.certFile,
          side[1]!,
          sha1.keyFile,
        ]),
      ).start();
      assert.equal(await m.exited(), 2);
      const refusal = m.stderr.split('\n').filter((l) => l.startsWith('kvd: '));
      assert.equal(refusal.length, 1, m.stderr);
      assert.ok(refusal[0]!.includes(`"${sha1.certFile}"`) && refusal[0]!.includes('ca md too weak'), refusal[0]);
      assert.ok(!/\n\s+at /.test(m.stderr), `a stack trace in ${m.stderr}`);
      assert.ok(!m.logs().some((l) => l.msg === 'member started'), 'refused before the member started');
    }
  });

  it('refuses to start when the peer key file holds no private key, naming the file', async () => {
    const m = new Kvd(
      'bad-peer-key',
      await secureFlags('bad-peer-key', [
        '--cert-file',
        server.certFile,
        '--key-file',
        server.keyFile,
        '--peer-cert-file',
        server.certFile,
        '--peer-key-file',
        server.certFile,
      ]),
    ).start();
    assert.equal(await m.exited(), 2);
    assert.ok(m.stderr.includes(`peer TLS: peer-key-file "${server.certFile}"`), m.stderr);
  });
});

describe('the TLS recipe of docs/tls.md', () => {
  it('serves the seed curl commands with --cacert --cert --key from make-certs.sh certificates and config/tls/kvd-tls.yaml', async () => {
    // The example's paths are relative to the working directory, like etcd's: run it from a copy of that layout.
    const cwd = scratchDir();
    const certs = join(cwd, 'config/tls/certs');
    execFileSync(join(root, 'tools/make-certs.sh'), [certs], { stdio: 'ignore' });
    const clientUrl = `https://127.0.0.1:${await freePort()}`;
    const peerUrl = `https://127.0.0.1:${await freePort()}`;
    const m = new Kvd(
      'recipe',
      [
        '--config-file',
        join(root, 'config/tls/kvd-tls.yaml'),
        // Ports of our own instead of 2379/2380: flags win over the file.
        '--listen-client-urls',
        clientUrl,
        '--advertise-client-urls',
        clientUrl,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        `kvd-tls=${peerUrl}`,
      ],
      cwd,
    ).start();
    const client = { certFile: join(certs, 'client.pem'), keyFile: join(certs, 'client-key.pem') };
    const tlsArgs = curlTls(join(certs, 'ca.pem'), client);
    await waitHttpsReady(m, `${clientUrl}/health`, clientTls(join(certs, 'ca.pem'), client));
    const put = await curl([...tlsArgs, '-L', '-X', 'PUT', `${clientUrl}/v2/keys/message`, '-d', 'value=Hello']);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(JSON.parse(put.stdout).action, 'set');
    const get = await curl([...tlsArgs, '-L', `${clientUrl}/v2/keys/message`]);
    assert.equal(JSON.parse(get.stdout).node.value, 'Hello');
    const del = await curl([...tlsArgs, '-L', '-X', 'DELETE', `${clientUrl}/v2/keys/message`]);
    assert.equal(JSON.parse(del.stdout).action, 'delete');
    assert.notEqual(
      (await curl(['--cacert', join(certs, 'ca.pem'), `${clientUrl}/v2/keys/message`])).code,
      0,
      'no client certificate, no answer',
    );
    assert.ok(existsSync(join(cwd, 'kvd-tls.kvd')), 'data dir relative to the working directory');
  });

  it('renews with make-certs.sh run again: the running member serves the new certificates of the same CA', async () => {
    const cwd = scratchDir();
    const certs = join(cwd, 'config/tls/certs');
    execFileSync(join(root, 'tools/make-certs.sh'), [certs], { stdio: 'ignore' });
    const clientUrl = `https://127.0.0.1:${await freePort()}`;
    const peerPort = await freePort();
    const peerUrl = `https://127.0.0.1:${peerPort}`;
    const m = new Kvd(
      'renewed',
      [
        '--config-file',
        join(root, 'config/tls/kvd-tls.yaml'),
        '--listen-client-urls',
        clientUrl,
        '--advertise-client-urls',
        clientUrl,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        `kvd-tls=${peerUrl}`,
      ],
      cwd,
    ).start();
    const caFile = join(certs, 'ca.pem');
    const client = { certFile: join(certs, 'client.pem'), keyFile: join(certs, 'client-key.pem') };
    const server = { certFile: join(certs, 'server.pem'), keyFile: join(certs, 'server-key.pem') };
    const peer = { certFile: join(certs, 'peer.pem'), keyFile: join(certs, 'peer-key.pem') };
    await waitHttpsReady(m, `${clientUrl}/health`, clientTls(caFile, client));
    const ca = readFileSync(caFile, 'utf8');
    const before = { server: serialOf(server), peer: serialOf(peer) };
    execFileSync(join(root, 'tools/make-certs.sh'), [certs], { stdio: 'ignore' });
    assert.equal(readFileSync(caFile, 'utf8'), ca, 'the CA is kept');
    assert.notEqual(serialOf(server), before.server);
    assert.notEqual(serialOf(peer), before.peer);
    const port = Number(new URL(clientUrl).port);
    await eventually(
      async () => (await servedSerial(port, clientTls(caFile, client))) === serialOf(server),
      15_000,
      'the new server certificate',
    );
    await eventually(
      async () => (await servedSerial(peerPort, clientTls(caFile, peer))) === serialOf(peer),
      15_000,
      'the new peer certificate',
    );
    const get = await curl([...curlTls(caFile, client), `${clientUrl}/version`]);
    assert.equal(get.code, 0, get.stderr);
  });
});
