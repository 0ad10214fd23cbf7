// Quorum reads across a leader change: a ReadIndex round lost with the old
// leader is asked again of the new one, not left to time out.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { eventually, httpRequest, leaderOf, startCluster } from '../support/procs.js';

test('quorum reads in flight when the leader is killed are served by the new leader, and none is left pending', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  const follower = members.find((m) => m !== leader)!;
  await httpRequest('PUT', `${leader.clientURL}/v2/keys/q`, 'value=1');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  t.after(() => agent.destroy());
  const read = () =>
    new Promise<{ status: number; body: string }>((resolve) => {
      const req = http.get(`${follower.clientURL}/v2/keys/q?quorum=true`, { agent, timeout: 20_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', (err) => resolve({ status: 0, body: err.message }));
    });
  let running = true;
  const answers: { status: number; body: string }[] = [];
  const loops = Array.from({ length: 16 }, async () => {
    for (let k = 0; running && k < 10_000; k++) answers.push(await read());
  });
  await eventually(async () => answers.length >= 16, 10_000, 'reads answered before the kill');
  await leader.kill('SIGKILL');
  await leaderOf(members.filter((m) => m !== leader));
  // Reads go on through the new leader for two rounds' worth; then each loop ends with the read it has in flight.
  const atElection = answers.length;
  await eventually(async () => answers.length >= atElection + 32, 30_000, 'reads answered by the new leader');
  running = false;
  await Promise.all(loops);
  const failed = answers.filter((a) => a.status !== 200);
  assert.ok(answers.length > 16, `only ${answers.length} reads`);
  assert.deepEqual(failed.slice(0, 3), [], `${failed.length} of ${answers.length} reads failed`);
  const metrics = await httpRequest('GET', `${follower.clientURL}/metrics`);
  assert.match(metrics.body, /^kvd_server_quorum_reads_pending 0$/m);
});
