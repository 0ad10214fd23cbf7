// etcd's v2 discovery protocol as a new member runs it, against a real kvd
// keyspace holding the tokens (the manual way), through a real HTTP proxy.

import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { createProxy } from 'proxy';
import { DiscoveryError, joinCluster, registrationValue, type JoinOptions } from '../../lib/discovery/index.js';
import { eventually, freePort, httpRequest } from '../support/procs.js';
import { capturingLogger, newToken, register, sharedKeyspace } from './support.js';

const quick = { firstDelayMs: 20, maxDelayMs: 40, attempts: 3 };

function member(url: string, n: number, extra: Partial<JoinOptions> = {}): JoinOptions {
  return {
    url,
    id: `a${n}`,
    name: `m${n}`,
    peerURLs: [`http://127.0.0.1:${30000 + n}`],
    logger: capturingLogger().logger,
    retry: quick,
    ...extra,
  };
}

async function rejection(p: Promise<unknown>): Promise<DiscoveryError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DiscoveryError, `expected a DiscoveryError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected discovery to fail');
}

describe('discovery by the v2 protocol', () => {
  const keyspace = sharedKeyspace();
  test('waits until size members registered, then returns the first size in the order they registered', async () => {
    const ks = keyspace();
    const url = await newToken(ks.clientURL, 3);
    await register(url, 'b1', 'early=http://127.0.0.1:31001');
    const joining = joinCluster(member(url, 2));
    const listing = async () => (await httpRequest('GET', url)).json?.node?.nodes?.length === 2;
    await eventually(listing, 10_000, 'the member to register');
    await register(url, 'b3', 'late=http://127.0.0.1:31003');
    await register(url, 'b4', 'extra=http://127.0.0.1:31004');
    assert.deepEqual(await joining, [
      { name: 'early', peerURLs: ['http://127.0.0.1:31001'] },
      { name: 'm2', peerURLs: ['http://127.0.0.1:30002'] },
      { name: 'late', peerURLs: ['http://127.0.0.1:31003'] },
    ]);
  });

  test("registers under its member id with prevExist=false and the value name=peerURL,... sorted as etcd's", async () => {
    const ks = keyspace();
    const url = await newToken(ks.clientURL, 1);
    const peerURLs = ['http://127.0.0.1:30012', 'http://127.0.0.1:30011'];
    await joinCluster(member(url, 1, { peerURLs }));
    const r = await httpRequest('GET', `${url}/a1`);
    assert.equal(r.json.node.value, 'm1=http://127.0.0.1:30011,m1=http://127.0.0.1:30012');
    assert.equal(registrationValue('m1', peerURLs), r.json.node.value);
  });

  test('a member past size is refused as full without registering', async () => {
    const ks = keyspace();
    const url = await newToken(ks.clientURL, 1);
    await register(url, 'b1', 'first=http://127.0.0.1:31001');
    const err = await rejection(joinCluster(member(url, 2)));
    assert.equal(err.code, 'FULL');
    assert.match(
      err.message,
      /^discovery: cluster is full: 1 member \(first\) registered at .* first: .*new discovery token.*kvctl member add m2 http:\/\/127\.0\.0\.1:30002/,
    );
    assert.equal((await httpRequest('GET', `${url}/a2`)).status, 404);
  });

  test('with discovery-fallback proxy the refusal says kvd has no proxy mode', async () => {
    const ks = keyspace();
    const url = await newToken(ks.clientURL, 1);
    await register(url, 'b1', 'first=http://127.0.0.1:31001');
    const err = await rejection(joinCluster(member(url, 2, { fallback: 'proxy' })));
    assert.equal(err.code, 'FULL');
    assert.match(err.message, /discovery-fallback is 'proxy', but kvd has no proxy mode/);
  });

  test('a full token whose members run is reported as used by a running cluster', async () => {
    const ks = keyspace();
    const url = await newToken(ks.clientURL, 1);
    await register(url, 'b1', 'first=http://127.0.0.1:31001');
    const probed: string[][] = [];
    const probe = async (ms: readonly { peerURLs: readonly string[] }[]) => {
      probed.push(ms.flatMap((m) => m.peerURLs));
      return 'cluster c0ffee answers at http://127.0.0.1:31001';
    };
    const err = await rejection(joinCluster(member(url, 2, { probe })));
    assert.equal(err.code, 'TOKEN_REUSED');
    assert.match(
      err.message,
      /^discovery: cluster is full: this discovery token already bootstrapped a running cluster \(cluster c0ffee/,
    );
    assert.deepEqual(probed, [['http://127.0.0.1:31001']]);
  });

  test('a member that registered before a restart recognises its registration and goes on', async () => {
    const ks = keyspace();
    const url = await newToken(ks.clientURL, 2);
    const self = member(url, 1);
    await register(url, 'a1', registrationValue(self.name, self.peerURLs));
    await register(url, 'b2', 'other=http://127.0.0.1:31002');
    const { logger, lines } = capturingLogger();
    const members = await joinCluster({ ...self, logger });
    assert.deepEqual(
      members.map((m) => m.name),
      ['m1', 'other'],
    );
    assert.ok(
      lines.some((l) => l.msg.includes('registered before')),
      JSON.stringify(lines),
    );
  });

  test('another registration under this member id is a duplicate id', async () => {
    const ks = keyspace();
    const url = await newToken(ks.clientURL, 3);
    await register(url, 'a1', 'impostor=http://127.0.0.1:30001');
    const err = await rejection(joinCluster(member(url, 1)));
    assert.equal(err.code, 'DUPLICATE_ID');
    assert.match(
      err.message,
      /^discovery: found duplicate id: .*\/a1 already holds "impostor=.*initial-advertise-peer-urls/,
    );
  });

  test('two registrations with one name are a duplicate name', async () => {
    const ks = keyspace();
    const url = await newToken(ks.clientURL, 2);
    await register(url, 'b1', 'm1=http://127.0.0.1:31001');
    const err = await rejection(joinCluster(member(url, 1)));
    assert.equal(err.code, 'DUPLICATE_NAME');
    assert.match(err.message, /^discovery: found duplicate name: two members registered as "m1"/);
  });

  test('a token without _config/size is refused, saying how to set it', async () => {
    const ks = keyspace();
    const url = `${ks.clientURL}/v2/keys/_etcd/registry/no-such-token`;
    const err = await rejection(joinCluster(member(url, 1)));
    assert.equal(err.code, 'SIZE_NOT_FOUND');
    assert.equal(
      err.message,
      `discovery: size key not found: ${url}/_config/size does not exist: create the token with the discovery service ` +
        `(GET <service>/new?size=3), or set it in an etcd/kvd keyspace: curl -X PUT ${url}/_config/size -d value=3`,
    );
  });

  test('a size that is not a number of members is refused, quoting it', async () => {
    const ks = keyspace();
    for (const bad of ['three', '0', '-1']) {
      const url = await newToken(ks.clientURL, bad);
      const err = await rejection(joinCluster(member(url, 1)));
      assert.equal(err.code, 'BAD_SIZE', bad);
      assert.ok(
        err.message.startsWith(`discovery: size key is bad: ${url}/_config/size holds "${bad}", not a cluster size`),
        err.message,
      );
    }
  });

  test('an unreachable service is retried with backoff, then given up naming the URL and the last error', async () => {
    const url = `http://127.0.0.1:${await freePort()}/v2/keys/_etcd/registry/t`;
    const { logger, lines } = capturingLogger();
    const err = await rejection(joinCluster({ ...member(url, 1), logger }));
    assert.equal(err.code, 'UNREACHABLE');
    assert.match(
      err.message,
      new RegExp(
        `^discovery: cannot reach the discovery service at ${url} \\(reading the cluster size; 3 attempts over \\d+ s\\); last error: .*ECONNREFUSED`,
      ),
    );
    assert.deepEqual(
      lines.filter((l) => l.msg.includes('retrying')).map((l) => l.backoffMs),
      [20, 40],
    );
  });

  test('an answer that is not an etcd keys response is a bad endpoint', async (t) => {
    const server = http.createServer((_req, res) => res.end('<html>hello</html>'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/token`;
    const err = await rejection(joinCluster(member(url, 1)));
    assert.equal(err.code, 'BAD_ENDPOINT');
    assert.match(
      err.message,
      /^discovery: bad discovery endpoint: .* answered HTTP 200 with "<html>hello<\/html>", not an etcd v2 keys response/,
    );
  });

  test('discovery-proxy: every request goes through the HTTP proxy', async (t) => {
    const ks = keyspace();
    const url = await newToken(ks.clientURL, 1);
    const seen: string[] = [];
    const proxy = createProxy(http.createServer());
    proxy.on('request', (req: http.IncomingMessage) => seen.push(`${req.method} ${req.url}`));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => proxy.close(() => r())));
    const proxyURL = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    assert.deepEqual(await joinCluster(member(url, 1, { proxy: proxyURL })), [
      { name: 'm1', peerURLs: ['http://127.0.0.1:30001'] },
    ]);
    assert.ok(seen.includes(`GET ${url}/_config/size`), JSON.stringify(seen));
    assert.ok(seen.includes(`PUT ${url}/a1?prevExist=false`), JSON.stringify(seen));
  });
});
