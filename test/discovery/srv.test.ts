// --discovery-srv: the initial cluster from DNS SRV records, served by a
// tiny DNS server on loopback that kvd is pointed at with
// --discovery-srv-resolver (the setting exists for such tests).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DiscoveryError, srvCluster } from '../../lib/discovery/index.js';
import {
  eventually,
  freePort,
  httpRequest,
  MemberProcess,
  START_UP_MS,
  tempDir,
  waitReady,
  type MemberSpec,
} from '../support/procs.js';
import { capturingLogger, startDnsServer } from './support.js';

const DOMAIN = 'kvd.test';

describe('bootstrap from DNS SRV records', () => {
  test('three members started with only --discovery-srv form one cluster', async (t) => {
    const dir = tempDir(t);
    const specs: MemberSpec[] = [];
    for (let i = 1; i <= 3; i++)
      specs.push({
        name: `s${i}`,
        clientPort: await freePort(),
        peerPort: await freePort(),
        dataDir: join(dir, `s${i}`),
      });
    const dns = await startDnsServer(t, {
      srv: { [`_etcd-server._tcp.${DOMAIN}`]: specs.map((s) => ({ target: 'localhost', port: s.peerPort })) },
      a: { localhost: ['127.0.0.1'] },
    });
    const members = specs.map(
      (s) =>
        new MemberProcess(s, [
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
          '--discovery-srv',
          DOMAIN,
          '--discovery-srv-resolver',
          dns,
          '--heartbeat-interval',
          '50',
          '--election-timeout',
          '500',
        ]),
    );
    t.after(() => Promise.all(members.map((m) => m.kill())));
    for (const m of members) m.start();
    await Promise.all(members.map((m) => waitReady(m)));
    const list = await eventually(
      async () => {
        const ms = (await httpRequest('GET', `${members[1]!.clientURL}/v2/members`)).json?.members as
          { name: string; peerURLs: string[] }[] | undefined;
        return ms?.length === 3 && ms.every((m) => m.name !== '') ? ms : null;
      },
      START_UP_MS,
      'three named members',
    );
    assert.deepEqual(list.map((m) => m.name).sort(), ['s1', 's2', 's3']);
    assert.deepEqual(list.map((m) => m.peerURLs[0]).sort(), specs.map((s) => `http://localhost:${s.peerPort}`).sort());
    const put = await httpRequest('PUT', `${members[0]!.clientURL}/v2/keys/srv`, 'value=dns');
    assert.equal(put.status, 201);
    assert.equal((await httpRequest('GET', `${members[2]!.clientURL}/v2/keys/srv?quorum=true`)).json.node.value, 'dns');
  });

  test('the records matching this member are its own; https records come from _etcd-server-ssl with the service name', async (t) => {
    const dns = await startDnsServer(t, {
      srv: {
        [`_etcd-server-ssl-prod._tcp.${DOMAIN}`]: [
          { target: 'peer-a.kvd.test.', port: 2380 },
          { target: 'localhost.', port: 12380 },
        ],
      },
      a: { 'peer-a.kvd.test': ['10.9.9.9'], localhost: ['127.0.0.1'] },
    });
    const found = await srvCluster({
      domain: DOMAIN,
      serviceName: 'prod',
      resolvers: [dns],
      peerURLs: ['https://127.0.0.1:12380'],
      logger: capturingLogger().logger,
    });
    assert.deepEqual(found, {
      members: [
        { name: '', peerURLs: ['https://localhost:12380'] },
        { name: '', peerURLs: ['https://peer-a.kvd.test:2380'] },
      ],
      self: 0,
    });
  });

  test('records that do not name this member are refused, listing what they name', async (t) => {
    const dns = await startDnsServer(t, {
      srv: { [`_etcd-server._tcp.${DOMAIN}`]: [{ target: 'localhost', port: 12380 }] },
      a: { localhost: ['127.0.0.1'] },
    });
    await assert.rejects(
      srvCluster({
        domain: DOMAIN,
        resolvers: [dns],
        peerURLs: ['http://127.0.0.1:22380'],
        logger: capturingLogger().logger,
      }),
      (err: unknown) =>
        err instanceof DiscoveryError &&
        err.code === 'SRV' &&
        err.message ===
          'discovery-srv: cannot find this member in the SRV records of kvd.test (they name http://localhost:12380): ' +
            'add a record whose target and port resolve to one of its initial-advertise-peer-urls (http://127.0.0.1:22380)',
    );
  });

  test('a domain without records is refused, naming both services asked', async (t) => {
    const dns = await startDnsServer(t, { srv: {}, a: {} });
    await assert.rejects(
      srvCluster({
        domain: 'empty.test',
        resolvers: [dns],
        peerURLs: ['http://127.0.0.1:22380'],
        logger: capturingLogger().logger,
      }),
      /^DiscoveryError: discovery-srv: error querying DNS SRV records for _etcd-server-ssl\._tcp\.empty\.test and _etcd-server\._tcp\.empty\.test \(.*no records.*\): publish/,
    );
  });
});
