// A three-member cluster whose members talk only over mutual TLS (https peer
// URLs, peer client certificates required, one trusted CA, an allowed CN):
// replication works, members with the wrong certificate cannot join, and a
// member's peer certificate rotates without dropping its sessions.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { first } from '../support/pick.js';
import { eventually, freePort, httpRequest } from '../support/procs.js';
import { TestPki, type IssuedCert } from '../tls/pki.js';
import {
  cleanUp,
  clientTls,
  installCert,
  Kvd,
  memberFlags,
  scratchDir,
  serialOf,
  servedSerial,
  waitHttpsReady,
} from './helpers.js';

const pki = new TestPki();
const otherCa = new TestPki();
const ALLOWED_CN = 'kvd-peer';
const peerCert = (i: number) => pki.issue(`peer-${i}`, { cn: ALLOWED_CN });
const peerCerts = [peerCert(1), peerCert(2), peerCert(3)] as const;
const rotated = pki.issue('peer-1-rotated', { cn: ALLOWED_CN });
const foreign = otherCa.issue('foreign-peer', { cn: ALLOWED_CN });
const wrongCn = pki.issue('intruder-peer', { cn: 'kvd-intruder' });

after(async () => {
  await cleanUp();
  pki.remove();
  otherCa.remove();
});

/** The three members' places in the cluster. */
const SEATS = [0, 1, 2] as const;
type SeatIndex = (typeof SEATS)[number];

interface Seat {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly peerPort: number;
}

async function seat(name: string): Promise<Seat> {
  const peerPort = await freePort();
  return {
    name,
    clientUrl: `http://127.0.0.1:${await freePort()}`,
    peerUrl: `https://127.0.0.1:${peerPort}`,
    peerPort,
  };
}

function peerTlsFlags(cert: IssuedCert): string[] {
  return [
    '--peer-cert-file',
    cert.certFile,
    '--peer-key-file',
    cert.keyFile,
    '--peer-client-cert-auth',
    '--peer-trusted-ca-file',
    pki.caFile,
    '--peer-cert-allowed-cn',
    ALLOWED_CN,
  ];
}

const getValue = async (s: Seat, key: string): Promise<string | undefined> =>
  (await httpRequest('GET', `${s.clientUrl}/v2/keys/${key}`)).json?.node?.value;

describe('a cluster over peer mutual TLS', () => {
  const dir = scratchDir();
  let seats: [Seat, Seat, Seat];
  let members: [Kvd, Kvd, Kvd];
  let initialCluster: string;
  /** m1's peer certificate, at paths rotation writes to. */
  const live: IssuedCert = { certFile: join(dir, 'peer-1.pem'), keyFile: join(dir, 'peer-1-key.pem') };
  const args = (i: SeatIndex) =>
    memberFlags({
      name: seats[i].name,
      dataDir: join(dir, seats[i].name),
      listenClientUrls: [seats[i].clientUrl],
      peerUrl: seats[i].peerUrl,
      initialCluster,
      extra: peerTlsFlags(i === 0 ? live : peerCerts[i]),
    });

  before(async () => {
    installCert(peerCerts[0], live);
    seats = [await seat('m1'), await seat('m2'), await seat('m3')];
    initialCluster = seats.map((s) => `${s.name}=${s.peerUrl}`).join(',');
    const start = (i: SeatIndex) => new Kvd(seats[i].name, args(i)).start();
    members = [start(0), start(1), start(2)];
    await Promise.all(SEATS.map((i) => waitHttpsReady(members[i], `${seats[i].clientUrl}/health`, null)));
  });

  it('replicates a write on one member to the others', async () => {
    const put = await httpRequest('PUT', `${seats[0].clientUrl}/v2/keys/over-mtls`, 'value=replicated');
    assert.ok(put.status === 201 || put.status === 200, put.body);
    for (const s of seats.slice(1)) {
      await eventually(async () => (await getValue(s, 'over-mtls')) === 'replicated', 10_000, `the write on ${s.name}`);
    }
  });

  it('accepts peer streams only with certificates of the trusted CA', async () => {
    for (const m of members) {
      // Each of the two others dials m; a write replicated by m1 does not wait for those dials.
      const accepted = await eventually(
        async () => {
          const lines = m.logsWith('peer stream accepted');
          return lines.length >= 2 && lines;
        },
        15_000,
        `${m.name} accepting a peer stream from each of the two others`,
      );
      for (const line of accepted) {
        const cert = line.certificate as { subject: string; issuer: string };
        assert.match(cert.subject, new RegExp(`(^|, )CN=${ALLOWED_CN}(,|$)`));
        assert.match(cert.issuer, /(^|, )CN=kvd test CA(,|$)/);
      }
    }
  });

  it('refuses in the handshake a member whose certificate another CA signed: it cannot join', async () => {
    const intruder = await seat('intruder');
    const mark = members[0].logs().length;
    const m = new Kvd(
      'foreign',
      memberFlags({
        name: intruder.name,
        dataDir: join(dir, 'foreign'),
        listenClientUrls: [intruder.clientUrl],
        peerUrl: intruder.peerUrl,
        initialCluster: `${initialCluster},${intruder.name}=${intruder.peerUrl}`,
        state: 'existing',
        extra: peerTlsFlags(foreign),
      }),
    ).start();
    assert.notEqual(await m.exited(), 0);
    assert.match(m.stderr, /no member of initial-cluster answered/);
    const refusal = await members[0].waitForLog('refusal logged', (l) => l.msg === 'refused TLS peer connection', mark);
    assert.equal(refusal.level, 40);
    assert.match(String(refusal.remote), /^127\.0\.0\.1:\d+$/);
    assert.equal(refusal.reason, 'certificate is not signed by a trusted CA');
    assert.equal((refusal.certificate as { serial: string }).serial, serialOf(foreign));
  });

  it('refuses a member whose certificate has a CN that is not allowed: it cannot join', async () => {
    const intruder = await seat('intruder');
    const mark = members[0].logs().length;
    const m = new Kvd(
      'wrong-cn',
      memberFlags({
        name: intruder.name,
        dataDir: join(dir, 'wrong-cn'),
        listenClientUrls: [intruder.clientUrl],
        peerUrl: intruder.peerUrl,
        initialCluster: `${initialCluster},${intruder.name}=${intruder.peerUrl}`,
        state: 'existing',
        extra: peerTlsFlags(wrongCn),
      }),
    ).start();
    assert.notEqual(await m.exited(), 0);
    const refusal = await members[0].waitForLog('refusal logged', (l) => l.msg === 'refused peer stream', mark);
    assert.equal(refusal.status, 403);
    assert.match(String(refusal.remote), /^127\.0\.0\.1:\d+$/);
    assert.match(String(refusal.reason), /CN "kvd-intruder" is not the allowed CN "kvd-peer"/);
  });

  it('serves a rotated peer certificate to new connections without dropping established sessions', async () => {
    const peerPort = seats[0].peerPort;
    const dial = clientTls(pki.caFile, peerCerts[1]);
    assert.equal(await servedSerial(peerPort, dial), serialOf(peerCerts[0]));
    const marks = members.map((m) => ({ m, mark: m.logs().length }));
    const m1Mark = members[0].logs().length;
    installCert(rotated, live);
    const reload = await members[0].waitForLog(
      'reload logged',
      (l) => l.msg === 'peer TLS certificate reloaded',
      m1Mark,
    );
    assert.equal(reload.serial, serialOf(rotated));
    assert.equal(await servedSerial(peerPort, dial), serialOf(rotated));
    await httpRequest('PUT', `${seats[0].clientUrl}/v2/keys/after-rotation`, 'value=still replicated');
    for (const s of seats.slice(1)) {
      await eventually(
        async () => (await getValue(s, 'after-rotation')) === 'still replicated',
        10_000,
        `the write on ${s.name}`,
      );
    }
    for (const { m, mark } of marks) {
      const since = m.logs().slice(mark);
      assert.deepEqual(
        since.filter((l) => l.msg === 'peer stream disconnected' || l.msg === 'peer stream accepted'),
        [],
        `${m.name} kept its sessions`,
      );
    }
  });

  it('presents the rotated certificate on the sessions it dials after the rotation', async () => {
    const m1Id = first(members[0].logsWith('member started')).id;
    await members[1].kill('SIGTERM');
    members[1] = new Kvd('m2', args(1)).start();
    const accepted = await members[1].waitForLog(
      'm1 redialled',
      (l) => l.msg === 'peer stream accepted' && l.from === m1Id,
    );
    assert.equal((accepted.certificate as { serial: string }).serial, serialOf(rotated));
    await httpRequest('PUT', `${seats[0].clientUrl}/v2/keys/after-restart`, 'value=back');
    await eventually(
      async () => (await getValue(seats[1], 'after-restart')) === 'back',
      10_000,
      'the write on the restarted m2',
    );
  });
});
