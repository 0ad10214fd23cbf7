// kvctl over TLS: h2 by ALPN with --ca-file, and a refused certificate worded
// as etcdctl words it. Runs against a private kvd member started here with a
// certificate made by openssl.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { Client } from '../../lib/client/index.js';
import { eventually, kvdBin, START_UP_MS } from '../support/procs.js';
import { closedPort, kvctl } from './support.js';

const haveTools = spawnSync('openssl', ['version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'kvctl-tls-'));
let member: ChildProcess | null = null;
let endpoint = '';

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr.toString()}`);
}

async function startTlsMember(): Promise<void> {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=kvctl-test-ca',
  ]);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl([
    'x509',
    '-req',
    '-in',
    'srv.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'srv.pem',
    '-days',
    '1',
    '-extfile',
    'ext',
  ]);
  const [client, peer] = [await closedPort(), await closedPort()];
  endpoint = `https://127.0.0.1:${client}`;
  member = spawn(
    process.execPath,
    [
      kvdBin,
      '--name',
      't1',
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      endpoint,
      '--advertise-client-urls',
      endpoint,
      '--cert-file',
      join(dir, 'srv.pem'),
      '--key-file',
      join(dir, 'srv.key'),
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `t1=http://127.0.0.1:${peer}`,
    ],
    { stdio: 'ignore' },
  );
  try {
    await eventually(
      async () =>
        (await kvctl(['--no-sync', '--endpoints', endpoint, '--ca-file', join(dir, 'ca.pem'), 'ls', '/'])).code === 0,
      START_UP_MS,
      'the TLS member to answer',
    );
  } catch (err) {
    // The file fails before any hook is registered: end the member here, or it keeps the file's process alive.
    member.kill('SIGKILL');
    throw err;
  }
}

// Without openssl the tests are skipped; a member that does not come up fails the file.
if (haveTools) await startTlsMember();

after(() => {
  member?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('kvctl over TLS', { skip: haveTools ? false : 'needs openssl (Debian openssl; .ci/run installs it)' }, () => {
  test('speaks h2 with an https member that offers it', async () => {
    const c = new Client({
      endpoints: [endpoint],
      tls: { caFile: join(dir, 'ca.pem') },
      headerTimeoutMs: 2000,
      dialTimeoutMs: 2000,
    });
    try {
      assert.equal(await c.protocolOf(endpoint), 'h2');
      await c.keys.set('/tls/k', 'over h2');
      assert.equal((await c.keys.get('/tls/k')).node?.value, 'over h2');
    } finally {
      c.close();
    }
  });

  test('set and get through kvctl with --ca-file', async () => {
    const ca = join(dir, 'ca.pem');
    assert.deepEqual(await kvctl(['--endpoints', endpoint, '--ca-file', ca, 'set', '/tls/a', 'v']), {
      code: 0,
      stdout: 'v\n',
      stderr: '',
    });
    assert.deepEqual(await kvctl(['--endpoints', endpoint, 'get', '/tls/a'], { env: { ETCDCTL_CA_FILE: ca } }), {
      code: 0,
      stdout: 'v\n',
      stderr: '',
    });
  });

  test("an untrusted certificate is refused with x509's text and exit 4", async () => {
    const r = await kvctl(['--no-sync', '--endpoints', endpoint, 'rm', '/tls/a']);
    assert.deepEqual(r, { code: 4, stdout: '', stderr: 'Error:  x509: certificate signed by unknown authority\n' });
  });

  test('a missing --ca-file is reported as Go reports it, exit 1', async () => {
    assert.deepEqual(await kvctl(['--endpoints', endpoint, '--ca-file', join(dir, 'nope.pem'), 'get', '/tls/a']), {
      code: 1,
      stdout: '',
      stderr: `open ${join(dir, 'nope.pem')}: no such file or directory\n`,
    });
  });
});
