import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namespaceUnavailable, runDriver } from './namespace.js';

const unavailable = namespaceUnavailable();

test(
  'a dial that timed out while the peer dropped its handshake neither crashes the member nor stalls the link when the handshake gets through',
  { skip: unavailable ?? false },
  async (t) => {
    const r = await runDriver(t, 'dial-timeout-driver.ts', [], 30_000);
    assert.equal(r.code, 0, `driver exited with ${r.code ?? r.signal}:\n${r.stderr.slice(-3000)}`);
    assert.ok(r.report.dialTimeouts >= 2, 'the link redialled after a dial timed out');
    assert.deepStrictEqual(r.report.delivered, ['heartbeat']);
  },
);
