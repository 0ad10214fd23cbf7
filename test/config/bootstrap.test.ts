// discovery, discovery-srv and force-new-cluster: how a member finds its
// initial cluster, read from flags, environment and file like every key.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../lib/config/index.js';
import { assertRefused, yamlFile } from './helpers.js';

const load = (...argv: string[]) => loadConfig(argv, {});
const TOKEN_URL = 'http://127.0.0.1:8087/4b8d5a3d66e2e0e7c9a2c3b1e5f00a11';

describe('bootstrap by discovery', () => {
  it('takes the discovery URL from --discovery, KVD_DISCOVERY or the file', () => {
    assert.deepEqual(load('--discovery', TOKEN_URL).bootstrap, {
      kind: 'discovery',
      url: TOKEN_URL,
      fallback: 'exit',
      proxy: undefined,
    });
    assert.equal((loadConfig([], { KVD_DISCOVERY: TOKEN_URL }).bootstrap as { url: string }).url, TOKEN_URL);
    const f = yamlFile(
      'discovery.yaml',
      `discovery: ${TOKEN_URL}\ndiscovery-fallback: proxy\ndiscovery-proxy: 127.0.0.1:3128\n`,
    );
    assert.deepEqual(load('--config-file', f).bootstrap, {
      kind: 'discovery',
      url: TOKEN_URL,
      fallback: 'proxy',
      proxy: 'http://127.0.0.1:3128',
    });
  });

  it('drops a trailing slash from the discovery URL, which is also the cluster token', () => {
    assert.equal((load('--discovery', `${TOKEN_URL}/`).bootstrap as { url: string }).url, TOKEN_URL);
  });

  it('is the default with no initial-cluster given, and replaces it', () => {
    const c = load('--name', 'd1', '--discovery', TOKEN_URL);
    assert.equal(c.bootstrap.kind, 'discovery');
    assert.deepEqual(c.initialCluster, [{ name: 'd1', peerURLs: ['http://127.0.0.1:2380'] }]);
  });

  it("refuses initial-cluster together with discovery, in etcd's words", () => {
    assertRefused(
      () => load('--initial-cluster', 'default=http://127.0.0.1:2380', '--discovery', TOKEN_URL),
      'CONFLICT',
      'discovery',
      'Choose one of "initial-cluster", "discovery" or "discovery-srv"',
      '--initial-cluster',
      '--discovery',
    );
    assertRefused(
      () => load('--discovery-srv', 'example.com', '--discovery', TOKEN_URL),
      'CONFLICT',
      'discovery-srv',
      '--discovery-srv',
    );
  });

  it('refuses a discovery URL without a token path, or not http(s)', () => {
    assertRefused(() => load('--discovery', 'http://127.0.0.1:8087'), 'INVALID_URL', 'discovery', 'no token path');
    assertRefused(() => load('--discovery', 'ftp://x/y'), 'INVALID_URL', 'discovery', 'scheme "ftp"');
    assertRefused(() => load('--discovery', 'not a url'), 'INVALID_URL', 'discovery', '"not a url"');
    assertRefused(() => load('--discovery', `${TOKEN_URL}?size=3`), 'INVALID_URL', 'discovery', 'query');
  });

  it("accepts etcd's discovery-fallback values, default exit, and refuses others", () => {
    assert.equal((load('--discovery', TOKEN_URL).bootstrap as { fallback: string }).fallback, 'exit');
    assertRefused(
      () => load('--discovery', TOKEN_URL, '--discovery-fallback', 'wait'),
      'INVALID_ENUM',
      'discovery-fallback',
      '"wait"',
      'exit, proxy',
    );
  });

  it('warns that discovery-proxy is unused without discovery', () => {
    const c = load('--discovery-proxy', 'http://127.0.0.1:3128');
    assert.ok(
      c.notices.some((n) => n.level === 'warn' && n.key === 'discovery-proxy'),
      JSON.stringify(c.notices),
    );
  });

  it('refuses a discovery-proxy that is not an http(s) proxy URL', () => {
    assertRefused(
      () => load('--discovery', TOKEN_URL, '--discovery-proxy', 'socks5://127.0.0.1:1080'),
      'INVALID_URL',
      'discovery-proxy',
      'socks5',
    );
  });
});

describe('bootstrap by DNS SRV records', () => {
  it('takes the domain, the service name suffix and the resolvers kvd asks', () => {
    assert.deepEqual(
      load(
        '--discovery-srv',
        'kvd.test.',
        '--discovery-srv-name',
        'prod',
        '--discovery-srv-resolver',
        '127.0.0.1:5353,[::1]:53',
      ).bootstrap,
      { kind: 'srv', domain: 'kvd.test', serviceName: 'prod', resolvers: ['127.0.0.1:5353', '[::1]:53'] },
    );
  });

  it('refuses a domain or resolver that cannot be one', () => {
    assertRefused(() => load('--discovery-srv', 'bad domain'), 'INVALID_VALUE', 'discovery-srv', '"bad domain"');
    assertRefused(
      () => load('--discovery-srv', 'kvd.test', '--discovery-srv-resolver', 'dns.example:53'),
      'INVALID_VALUE',
      'discovery-srv-resolver',
      'dns.example:53',
    );
  });

  it('warns that discovery-srv-resolver is unused without discovery-srv', () => {
    assert.ok(
      load('--discovery-srv-resolver', '127.0.0.1:5353').notices.some((n) => n.key === 'discovery-srv-resolver'),
    );
  });
});

describe('force-new-cluster', () => {
  it('is off by default and set by flag, environment or file', () => {
    assert.equal(load().forceNewCluster, false);
    assert.equal(load('--force-new-cluster').forceNewCluster, true);
    assert.equal(loadConfig([], { KVD_FORCE_NEW_CLUSTER: 'true' }).forceNewCluster, true);
    assert.equal(load('--config-file', yamlFile('force.yaml', 'force-new-cluster: yes\n')).forceNewCluster, true);
  });
});
