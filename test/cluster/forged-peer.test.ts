// Forged frames on a real cluster's peer port (plain HTTP peer URLs, as many
// internal deployments run): what one message from a stranger or a buggy
// member can do. Built with kvd's own codec; ids read from GET /members.
// A member accepts one live message stream per peer, so the forger speaks in
// the name of a member that is down (stopped, crashed, being restarted).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { asIndex, asMemberId, asTerm, type Entry, type Message } from '../../lib/raft/types.js';
import { peerMembers, sendForgedAs, type PeerView } from '../support/forge.js';
import { eventually, httpRequest, type MemberProcess, startCluster, waitReady, leaderOf } from '../support/procs.js';

const root = new URL('../..', import.meta.url).pathname;
const segdumpBin = join(root, 'dist/tools/segdump.js');

const idOf = (view: PeerView, m: MemberProcess) => asMemberId(view.members.find((x) => x.name === m.spec.name)!.id);

/** A write through the leader, then a quorum read of it on every member. */
async function assertWriting(members: readonly MemberProcess[], key: string): Promise<void> {
  const leader = await leaderOf(members);
  const put = await httpRequest('PUT', `${leader.clientURL}/v2/keys/${key}`, `value=${key}`);
  assert.ok(put.status === 200 || put.status === 201, `write ${key}: ${put.status} ${put.body}`);
  for (const m of members) {
    const r = await httpRequest('GET', `${m.clientURL}/v2/keys/${key}?quorum=true`);
    assert.equal(r.json?.node?.value, key, `${m.spec.name}: ${r.body}`);
    assert.equal((await httpRequest('GET', `${m.clientURL}/health`)).status, 200, `${m.spec.name} unhealthy`);
    assert.ok(Number(r.headers['x-raft-term']) < 2 ** 32, `${m.spec.name} runs at term ${r.headers['x-raft-term']}`);
  }
}

async function restartAll(members: readonly MemberProcess[]): Promise<void> {
  await Promise.all(members.map((m) => m.kill('SIGKILL')));
  for (const m of members) m.start();
  await Promise.all(members.map((m) => waitReady(m)));
}

const garbage = (type: 'normal' | 'confChange'): Entry => ({
  term: asTerm(0),
  index: asIndex(0),
  type,
  data: Buffer.from([0x02]),
});

test('a forged undecodable proposal sent to the leader is dropped with a warning naming the sender; the cluster writes on, also after every member restarts', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  const follower = members.find((m) => m !== leader)!;
  const view = await peerMembers(leader.peerURL);
  const from = idOf(view, follower);
  const forged: Message = {
    type: 'propose',
    from,
    to: idOf(view, leader),
    term: asTerm(0),
    entries: [garbage('normal'), garbage('confChange')],
  };
  await follower.kill('SIGKILL');
  assert.equal(await sendForgedAs(leader.peerURL, view.clusterId, from, idOf(view, leader), [forged]), 200);
  await eventually(async () => /dropped a message from a peer/.test(leader.stderr), 5000, 'the warning');
  assert.match(leader.stderr, new RegExp(`dropped 2 of 2 proposals forwarded by ${from}`));
  follower.start();
  await waitReady(follower);
  await assertWriting(members, 'after-forged-proposal');
  await restartAll(members);
  await assertWriting(members, 'after-restart');
});

test('a forged vote with the transfer flag and term 2^53-2 leaves a leader in place and the cluster writing, also after every member restarts', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  const view = await peerMembers(leader.peerURL);
  const huge = 2 ** 53 - 2;
  // Speak as a member that is down: first the leader to both followers, then a follower to the leader.
  const followers = members.filter((m) => m !== leader);
  const plan = [
    { as: leader, targets: followers },
    { as: followers[0]!, targets: [leader] },
  ];
  for (const { as, targets } of plan) {
    await as.kill('SIGKILL');
    for (const target of targets) {
      const to = idOf(view, target);
      const from = idOf(view, as);
      const vote: Message = {
        type: 'vote',
        from,
        to,
        term: asTerm(huge),
        lastIndex: asIndex(huge),
        lastTerm: asTerm(huge - 1),
        transfer: true,
      };
      assert.equal(await sendForgedAs(target.peerURL, view.clusterId, from, to, [vote]), 200);
    }
    await eventually(
      async () => targets.every((m) => /ahead of ours/.test(m.stderr)),
      5000,
      'every target to log the dropped vote',
    );
    as.start();
    await waitReady(as);
  }
  await assertWriting(members, 'after-forged-vote');
  await restartAll(members);
  await assertWriting(members, 'after-restart');
});

test('a committed entry that cannot be applied stops the member with a fatal line naming it, at once and at every start, and segdump shows it', async (t) => {
  const members = await startCluster(t, 3);
  const leader = await leaderOf(members);
  const victim = members.find((m) => m !== leader)!;
  const view = await peerMembers(leader.peerURL);
  await httpRequest('PUT', `${leader.clientURL}/v2/keys/before`, 'value=1');
  // Wait until the victim's log ends where its commit index is: nothing in flight.
  const at = await eventually(
    async () => {
      const [l, v] = await Promise.all(
        [leader, victim].map((m) => httpRequest('GET', `${m.clientURL}/v2/keys/before`)),
      );
      return l!.headers['x-raft-index'] === v!.headers['x-raft-index'] ? v : null;
    },
    5000,
    'the victim to catch up',
  );
  const index = Number(at.headers['x-raft-index']);
  const term = asTerm(Number(at.headers['x-raft-term']));
  // A forged leader append: the shape raft accepts, data nothing can decode.
  const append: Message = {
    type: 'append',
    from: idOf(view, leader),
    to: idOf(view, victim),
    term,
    prevIndex: asIndex(index),
    prevTerm: term,
    entries: [{ term, index: asIndex(index + 1), type: 'normal', data: Buffer.from([0x02]) }],
    commit: asIndex(index + 1),
  };
  // Sent the moment the leader is gone, in its name, before the victim stops believing in it.
  await leader.kill('SIGKILL');
  await sendForgedAs(victim.peerURL, view.clusterId, idOf(view, leader), idOf(view, victim), [append]);
  assert.equal(await victim.waitExit(15_000), 1);
  assert.match(
    victim.stderr,
    new RegExp(`log entry ${index + 1} \\(term ${term}, normal, 1 bytes\\) cannot be applied: truncated buffer`),
  );
  assert.match(victim.stderr, new RegExp(`segdump dump ${victim.spec.dataDir} --from ${index + 1} --to ${index + 1}`));
  assert.doesNotMatch(victim.stderr, /write-ahead log failed/);
  const dump = spawnSync(
    process.execPath,
    [segdumpBin, 'dump', victim.spec.dataDir, '--from', String(index + 1), '--to', String(index + 1)],
    { encoding: 'utf8', timeout: 20_000 },
  );
  assert.match(dump.stdout, new RegExp(`entry\\s+${index + 1}\\s+${term}\\s+normal\\s+undecodable`));
  // The entry is committed in its log: replaying it at start-up stops the member the same way.
  victim.start();
  assert.equal(await victim.waitExit(15_000), 1);
  assert.match(
    victim.stderr,
    new RegExp(`log entry ${index + 1} \\(term ${term}, normal, 1 bytes\\) cannot be applied`),
  );
  leader.start();
  await waitReady(leader);
  const rest = members.filter((m) => m !== victim);
  const put = await httpRequest('PUT', `${(await leaderOf(rest)).clientURL}/v2/keys/after`, 'value=2');
  assert.equal(put.status, 201);
});
