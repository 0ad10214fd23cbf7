// Three kvd members bootstrapped with only --discovery, through the real
// discovery service (Debian's etcd-discovery: discovery.etcd.io) whose etcd
// v2 backend is itself a kvd member.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  eventually,
  freePort,
  httpRequest,
  MemberProcess,
  memberArgs,
  START_UP_MS,
  waitReady,
  type MemberSpec,
} from '../support/procs.js';

const DISCOVERY_BIN = 'discovery.etcd.io';

/** A member's flags with no initial-cluster: only --discovery. */
function discoveryArgs(s: MemberSpec, discoveryURL: string): string[] {
  return [
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
    '--discovery',
    discoveryURL,
    '--heartbeat-interval',
    '50',
    '--election-timeout',
    '500',
  ];
}

async function spec(dir: string, name: string): Promise<MemberSpec> {
  return { name, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(dir, `${name}.kvd`) };
}

describe('a cluster bootstrapped through the discovery service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvd-discovery-'));
  const procs: MemberProcess[] = [];
  let service: ChildProcess | null = null;
  let serviceLog = '';
  let discoveryURL = '';
  const members: MemberProcess[] = [];

  before(async () => {
    const backendSpec = await spec(dir, 'backend');
    const backend = new MemberProcess(
      backendSpec,
      memberArgs(backendSpec, `backend=http://127.0.0.1:${backendSpec.peerPort}`, 'new'),
    );
    procs.push(backend);
    backend.start();
    await waitReady(backend);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    service = spawn(DISCOVERY_BIN, ['-a', `127.0.0.1:${port}`, '-e', backend.clientURL, '-h', base], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout!.on('data', (c: Buffer) => (serviceLog += c.toString()));
    service.stderr!.on('data', (c: Buffer) => (serviceLog += c.toString()));
    await eventually(
      async () => (await httpRequest('GET', `${base}/health`, undefined, 2000)).body === 'OK',
      START_UP_MS,
      `${DISCOVERY_BIN} /health`,
    );
    discoveryURL = (await httpRequest('GET', `${base}/new?size=3`)).body.trim();
    assert.match(discoveryURL, new RegExp(`^${base}/[0-9a-f]{32}$`));
    for (let i = 1; i <= 3; i++) {
      const s = await spec(dir, `d${i}`);
      members.push(new MemberProcess(s, discoveryArgs(s, discoveryURL)));
    }
    procs.push(...members);
    for (const m of members) m.start();
    await Promise.all(members.map((m) => waitReady(m)));
  });

  after(async () => {
    service?.kill('SIGKILL');
    await Promise.all(procs.map((m) => m.kill()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('the three members form one cluster, each named and published, all healthy', async () => {
    const list = await eventually(
      async () => {
        const r = await httpRequest('GET', `${members[0]!.clientURL}/v2/members`);
        const ms = r.json?.members as { name: string; peerURLs: string[]; clientURLs: string[] }[] | undefined;
        return ms?.length === 3 && ms.every((m) => m.clientURLs.length === 1) ? ms : null;
      },
      15_000,
      'three published members',
    );
    assert.deepEqual(list.map((m) => m.name).sort(), ['d1', 'd2', 'd3']);
    assert.deepEqual(list.map((m) => m.peerURLs[0]).sort(), members.map((m) => m.peerURL).sort());
    for (const m of members)
      assert.equal((await httpRequest('GET', `${m.clientURL}/health`)).json.health, 'true', m.spec.name);
    const registrations = (await httpRequest('GET', discoveryURL)).json.node.nodes as { value: string }[];
    assert.deepEqual(
      registrations.map((n) => n.value).sort(),
      members.map((m) => `${m.spec.name}=${m.peerURL}`).sort(),
      serviceLog,
    );
  });

  test('a write on one member is a quorum read on another', async () => {
    const put = await httpRequest('PUT', `${members[0]!.clientURL}/v2/keys/found`, 'value=by-discovery');
    assert.equal(put.status, 201);
    const get = await httpRequest('GET', `${members[2]!.clientURL}/v2/keys/found?quorum=true`);
    assert.equal(get.json.node.value, 'by-discovery');
    assert.equal(get.json.node.modifiedIndex, put.json.node.modifiedIndex);
  });

  test('a fourth member is refused as full and exits non-zero', async () => {
    const s = await spec(dir, 'd4');
    const fourth = new MemberProcess(s, discoveryArgs(s, discoveryURL));
    procs.push(fourth);
    fourth.start();
    assert.equal(await fourth.waitExit(30_000), 1);
    assert.match(
      fourth.stderr,
      /kvd: discovery: cluster is full: this discovery token already bootstrapped a running cluster/,
    );
    assert.match(fourth.stderr, /kvctl member add d4 http:\/\/127\.0\.0\.1:\d+/);
  });

  test('discovery with initial-cluster-state existing is refused, pointing to member add', async () => {
    const s = await spec(dir, 'late');
    const late = new MemberProcess(s, [...discoveryArgs(s, discoveryURL), '--initial-cluster-state', 'existing']);
    procs.push(late);
    late.start();
    assert.equal(await late.waitExit(), 1);
    assert.match(
      late.stderr,
      /kvd: discovery bootstraps a new cluster, but initial-cluster-state is existing: .*kvctl member add/,
    );
  });

  test('a member whose data dir is gone is refused: the token already bootstrapped it', async () => {
    const d3 = members[2]!;
    await d3.kill('SIGTERM');
    rmSync(d3.spec.dataDir, { recursive: true, force: true });
    d3.start();
    assert.equal(await d3.waitExit(30_000), 1);
    assert.match(
      d3.stderr,
      /discovery: member d3 \([0-9a-f]+\) has already been bootstrapped: .* lists this member as started, but data dir .* holds no member/,
    );
  });

  test('a member restarted with its data dir ignores discovery, even with the service gone', async () => {
    service?.kill('SIGKILL');
    const d1 = members[0]!;
    await d1.kill('SIGTERM');
    d1.start();
    await waitReady(d1);
    assert.match(d1.stderr, /the data dir holds a member: ignoring discovery/);
    assert.equal(
      (await httpRequest('GET', `${d1.clientURL}/v2/keys/found?quorum=true`)).json.node.value,
      'by-discovery',
    );
  });
});
