import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namespaceUnavailable, runDriver } from './namespace.js';

const unavailable = namespaceUnavailable();

test(
  'a plain-HTTP peer port on every address warns that anyone can reach it and points to docs/tls.md; on loopback it does not',
  { skip: unavailable ?? false },
  async (t) => {
    const r = await runDriver(t, 'peer-exposure-driver.ts', [], 30_000);
    assert.equal(r.code, 0, `driver exited with ${r.code ?? r.signal}:\n${r.stderr.slice(-3000)}`);
    for (const url of ['http://0.0.0.0:0', 'http://[::]:0']) {
      assert.equal(r.report[url].length, 1, url);
      assert.match(r.report[url][0], /peer port is plain HTTP on a non-loopback address: anyone who can reach it/);
      assert.match(r.report[url][0], /docs\/tls\.md/);
    }
    assert.deepStrictEqual(r.report['http://127.0.0.1:0'], []);
  },
);
