import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type tls from 'node:tls';
import { encodeFrame } from '../../lib/transport/codec.js';
import { fetchPeerJSON, PeerRequestError } from '../../lib/transport/index.js';
import { A, B, connected, heartbeat, rawRequest, startNode, waitFor, CLUSTER, type Node } from './helpers.js';

interface Pair {
  readonly cert: Buffer;
  readonly key: Buffer;
}
const dir = mkdtempSync(join(tmpdir(), 'kvd-transport-tls-'));
let ca: Buffer;
const certs: Record<string, Pair> = {};

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

before(() => {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=kvd test CA', '-days', '2');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  for (const name of ['member-a', 'member-b', 'intruder']) {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      'san.ext',
    );
    certs[name] = { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
  }
  ca = readFileSync(join(dir, 'ca.crt'));
});

const open: Node[] = [];
after(async () => {
  await Promise.all(open.map((n) => n.transport.close()));
  rmSync(dir, { recursive: true, force: true });
});

const allowMembers = (cert: tls.PeerCertificate): string | null => {
  const cn = String(cert.subject?.CN ?? '');
  return cn.startsWith('member-') ? null : `certificate CN ${cn} is not allowed`;
};

async function secureNode(id: typeof A, name: string): Promise<Node> {
  const pair = certs[name];
  assert.ok(pair, `no certificate was made for ${name}`);
  const { cert, key } = pair;
  const n = await startNode(id, [A, B], {
    url: 'https://127.0.0.1:0',
    serverTls: { cert, key, ca, requestCert: true, rejectUnauthorized: true },
    clientTls: { cert, key, ca },
    verifyPeer: allowMembers,
    versionJSON: () => ({ etcdserver: '3.4.0', etcdcluster: '3.4.0' }),
  });
  open.push(n);
  return n;
}

test('members with trusted certificates exchange messages over h2 with mutual TLS', async () => {
  const a = await secureNode(A, 'member-a');
  const b = await secureNode(B, 'member-b');
  assert.match(a.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  a.transport.addPeer(B, [b.url]);
  b.transport.addPeer(A, [a.url]);
  await waitFor('connected', () => connected(a, B)() && connected(b, A)());
  a.transport.send([heartbeat(A, B, 1)]);
  b.transport.send([heartbeat(B, A, 2)]);
  await waitFor('delivered', () => a.received.length === 1 && b.received.length === 1);
});

test('a trusted certificate that verifyPeer rejects gets 403 with the reason', async () => {
  const b = await secureNode(B, 'member-b');
  const answer = await rawRequest(
    b.url,
    { ':path': '/raft/stream', 'x-kvd-cluster-id': CLUSTER, 'x-kvd-from': A, 'x-kvd-to': B },
    null,
    { clientOptions: { ...certs.intruder, ca } },
  );
  assert.equal(answer.status, 403);
  assert.match(answer.body, /CN intruder is not allowed/);
  assert.ok(b.lines.some((l) => l.msg === 'refused peer stream' && /^127\.0\.0\.1:/.test(String(l.remote))));
});

test('a client without a certificate is refused in the TLS handshake', async () => {
  const b = await secureNode(B, 'member-b');
  await assert.rejects(
    fetchPeerJSON(b.url, '/version', { clientTls: { ca }, timeoutMs: 5000 }),
    (err: unknown) => err instanceof PeerRequestError && err.status === 0,
  );
});

test('a client with a certificate answers plain requests', async () => {
  const b = await secureNode(B, 'member-b');
  const version = await fetchPeerJSON(b.url, '/version', { clientTls: { ...certs['member-a'], ca } });
  assert.deepStrictEqual(version, { etcdserver: '3.4.0', etcdcluster: '3.4.0' });
});

test('a message stream presenting the same certificate replaces the live one', async () => {
  const a = await secureNode(A, 'member-a');
  const b = await secureNode(B, 'member-b');
  a.transport.addPeer(B, [b.url]);
  await waitFor('connected', connected(a, B));
  const answer = await rawRequest(
    b.url,
    { ':path': '/raft/stream', 'x-kvd-cluster-id': CLUSTER, 'x-kvd-from': A, 'x-kvd-to': B },
    encodeFrame(heartbeat(A, B, 5)),
    { clientOptions: { ...certs['member-a'], ca } },
  );
  assert.equal(answer.status, 200);
  await waitFor('the replacement delivered', () => b.received.length === 1);
  await waitFor('a reconnected', connected(a, B));
  a.transport.send([heartbeat(A, B, 6)]);
  await waitFor('a delivers again', () => b.received.length === 2);
});

test("a message stream presenting another member's certificate is refused while the live one answers", async () => {
  const a = await secureNode(A, 'member-a');
  const b = await secureNode(B, 'member-b');
  a.transport.addPeer(B, [b.url]);
  await waitFor('connected', connected(a, B));
  const answer = await rawRequest(
    b.url,
    { ':path': '/raft/stream', 'x-kvd-cluster-id': CLUSTER, 'x-kvd-from': A, 'x-kvd-to': B },
    encodeFrame(heartbeat(A, B, 99)),
    { clientOptions: { ...certs['member-b'], ca } },
  );
  assert.equal(answer.status, 409);
  assert.match(
    answer.body,
    /already has a live message stream; a connection with another certificate may not replace it/,
  );
  a.transport.send([heartbeat(A, B, 1)]);
  await waitFor('a still delivers', () => b.received.length === 1);
  assert.equal((b.received[0] as { commit: number }).commit, 1);
  assert.equal(connected(a, B)(), true);
});

test('listening on an https URL without TLS options is an error', async () => {
  await assert.rejects(startNode(A, [A, B], { url: 'https://127.0.0.1:0' }), /needs TLS options/);
});
