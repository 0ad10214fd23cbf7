// Request ids across a crash: an entry a member proposed before it was killed,
// committed after it came back, must not answer a request of the new process.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, httpRequest, type MemberProcess, startCluster, leaderOf, START_UP_MS } from '../support/procs.js';

async function gauge(m: MemberProcess, name: string): Promise<number> {
  const r = await httpRequest('GET', `${m.clientURL}/metrics`, undefined, 2000);
  const line = r.body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
}

test('entries a member proposed before a crash, committed after its restart, answer none of its new requests', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  const [proposer, other] = members.filter((m) => m !== leader) as [MemberProcess, MemberProcess];
  // Freeze the leader and the other follower: what the proposer forwards now waits in the leader's socket.
  for (const m of [leader, other]) m.proc!.kill('SIGSTOP');
  t.after(() => {
    for (const m of [leader, other]) m.proc?.kill('SIGCONT');
  });
  const n = 5;
  for (let i = 0; i < n; i++)
    void httpRequest('PUT', `${proposer.clientURL}/v2/keys/old-${i}`, `value=old-${i}`).catch(() => null);
  await eventually(
    async () => (await gauge(proposer, 'etcd_server_proposals_pending')) >= n,
    5000,
    'the old requests to be forwarded',
  );
  await proposer.kill('SIGKILL');
  // A request waits for a leader for 5 s + 2 election timeouts: 45 s here, so the new requests
  // outlast however long a loaded machine takes to get to the SIGCONT below.
  proposer.start(['--election-timeout', '20000']);
  await eventually(
    async () => (await httpRequest('GET', `${proposer.clientURL}/health`, undefined, 1000)).status > 0,
    START_UP_MS,
    'the restarted member to listen',
  );
  // No leader is known to the new process: its requests wait for one.
  const fresh = Array.from({ length: n }, (_, i) =>
    httpRequest('PUT', `${proposer.clientURL}/v2/keys/new-${i}`, `value=new-${i}`, 60_000),
  );
  await eventually(
    async () => (await gauge(proposer, 'etcd_server_proposals_pending')) >= n,
    5000,
    'the new requests to wait',
  );
  for (const m of [leader, other]) m.proc!.kill('SIGCONT');
  const answers = await Promise.all(fresh);
  answers.forEach((r, i) => {
    assert.equal(r.status, 201, r.body);
    assert.equal(r.json.node.key, `/new-${i}`, `request new-${i} was answered with another request's result`);
  });
  // The old entries were committed too: they are in the log, only nobody waits for them.
  const old = await httpRequest('GET', `${leader.clientURL}/v2/keys/old-0?quorum=true`);
  assert.equal(old.json?.node?.value, 'old-0');
});
