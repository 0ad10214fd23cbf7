import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../lib/config/index.js';
import { first } from '../support/pick.js';

const load = (file: string) =>
  loadConfig(['--config-file', new URL(`../../config/${file}`, import.meta.url).pathname], {});

describe('the ready YAML files in config/', () => {
  it('kvd.yaml is a single member named default on 127.0.0.1:2379/2380', () => {
    const c = load('kvd.yaml');
    assert.equal(c.name, 'default');
    assert.equal(c.dataDir, 'default.kvd');
    assert.deepEqual(
      c.listenClientUrls.map((u) => u.href),
      ['http://127.0.0.1:2379'],
    );
    assert.deepEqual(c.initialCluster, [{ name: 'default', peerURLs: ['http://127.0.0.1:2380'] }]);
    assert.deepEqual(c.notices, []);
  });

  it('cluster/kvd-1..3.yaml describe the same three-member cluster, each member itself', () => {
    const members = [1, 2, 3].map((i) => load(`cluster/kvd-${i}.yaml`));
    const { initialCluster } = first(members);
    for (const [i, c] of members.entries()) {
      const n = i + 1;
      assert.equal(c.name, `kvd-${n}`);
      assert.equal(c.dataDir, `kvd-${n}.kvd`);
      assert.deepEqual(
        c.listenClientUrls.map((u) => u.port),
        [n * 10000 + 2379],
      );
      assert.deepEqual(
        c.listenPeerUrls.map((u) => u.port),
        [n * 10000 + 2380],
      );
      assert.equal(c.initialClusterToken, 'kvd-cluster-1');
      assert.deepEqual(c.initialCluster, initialCluster);
      assert.deepEqual(c.notices, []);
    }
    assert.deepEqual(
      initialCluster.map((m) => m.name),
      ['kvd-1', 'kvd-2', 'kvd-3'],
    );
  });

  it('tls/kvd-tls.yaml asks for https with client certificates and peer mTLS', () => {
    const c = load('tls/kvd-tls.yaml');
    assert.deepEqual(
      c.listenClientUrls.map((u) => u.scheme),
      ['https'],
    );
    assert.deepEqual(
      c.listenPeerUrls.map((u) => u.scheme),
      ['https'],
    );
    assert.equal(c.clientTransportSecurity.clientCertAuth, true);
    assert.equal(c.peerTransportSecurity.clientCertAuth, true);
    assert.equal(c.peerTransportSecurity.certFile, 'config/tls/certs/peer.pem');
    assert.equal(c.peerTransportSecurity.allowedCn, 'kvd-peer');
  });
});
