// What a stranger on the peer port of a running cluster (plain peer URLs) can
// and cannot do, with frames forged by the project's own codec.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { test } from 'node:test';
import { asIndex, asMemberId, asTerm, type MemberId } from '../../lib/raft/types.js';
import { encodeFrame } from '../../lib/transport/codec.js';
import { fetchPeerJSON } from '../../lib/transport/index.js';
import { first, nth, only } from '../support/pick.js';
import { eventually, httpRequest, START_UP_MS, startCluster, type MemberProcess } from '../support/procs.js';

const MiB = 1 << 20;

interface PeerMembers {
  readonly clusterId: string;
  readonly members: Array<{ id: string; name: string; peerURLs: string[]; clientURLs: string[] }>;
}

function kib(field: string, pid: number): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/** Opens a forged snapshot stream declaring declaredBytes, writes its header frame and `bytes` of data; resolves once all is written or the receiver ended it. */
async function forgeSnapshot(
  url: string,
  cluster: string,
  from: MemberId,
  to: MemberId,
  declaredBytes: number,
  bytes: number,
): Promise<{ status: number; session: http2.ClientHttp2Session }> {
  const session = http2.connect(url);
  session.on('error', () => {});
  const stream = session.request({
    ':method': 'POST',
    ':path': '/raft/snapshot',
    'x-kvd-cluster-id': cluster,
    'x-kvd-from': from,
    'x-kvd-to': to,
    'x-kvd-snapshot-bytes': String(declaredBytes),
  });
  stream.on('error', () => {});
  let status = 0;
  stream.on('response', (h) => void (status = Number(h[':status'])));
  stream.resume();
  stream.write(
    encodeFrame({
      type: 'snapshot',
      from,
      to,
      term: asTerm(1),
      snapshot: { meta: { index: asIndex(1), term: asTerm(1), conf: { voters: [from, to] } }, data: Buffer.alloc(0) },
    }),
  );
  const chunk = Buffer.alloc(MiB, 0x5a);
  for (let sent = 0; sent < bytes && !stream.destroyed; sent += chunk.length) {
    if (!stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        stream.once('drain', resolve);
        stream.once('close', resolve);
      });
    }
  }
  return { status, session };
}

async function peerMembers(m: MemberProcess): Promise<PeerMembers> {
  return (await fetchPeerJSON(m.peerURL, '/members')) as PeerMembers;
}

test("six forged snapshot streams declaring 2 GiB and sending 32 MiB each grow the receiver's RSS by less than 100 MB", async (t) => {
  const members = await startCluster(t, 3);
  const target = nth(members, 2);
  const pid = target.proc!.pid!;
  const { clusterId, members: list } = await peerMembers(target);
  const self = list.find((m) => m.peerURLs.includes(target.peerURL))!.id as MemberId;
  const others = list.map((m) => asMemberId(m.id)).filter((id) => id !== self);
  // The peak resident size from here on (Linux: writing 5 to clear_refs resets VmHWM).
  const rssBefore = kib('VmRSS', pid);
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Without it VmHWM may include start-up's peak: a stricter bound.
  }
  const forged = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      forgeSnapshot(target.peerURL, clusterId, nth(others, i % others.length), self, 2 * 1024 * MiB, 32 * MiB),
    ),
  );
  const grownMB = (kib('VmHWM', pid) - rssBefore) / 1024;
  for (const f of forged) f.session.destroy();
  assert.ok(grownMB < 100, `RSS grew by ${grownMB.toFixed(1)} MB`);
  assert.equal(target.exitCode, null, 'the member is still running');
  const put = await httpRequest('PUT', `${target.clientURL}/v2/keys/after-flood`, 'value=ok');
  assert.ok(put.status === 200 || put.status === 201, `write after the flood: ${put.status} ${put.body}`);
  await eventually(
    async () =>
      (await httpRequest('GET', `${first(members).clientURL}/v2/keys/after-flood?quorum=true`)).status === 200,
    10_000,
    'the write everywhere',
  );
});

test("GET /members on the peer port answers what etcd's does: the cluster id and each member's id, name, peer and client URLs", async (t) => {
  const m1 = only(await startCluster(t, 1));
  const body = await peerMembers(m1);
  assert.deepStrictEqual(Object.keys(body).sort(), ['clusterId', 'members']);
  // Ids are unpadded hex, as Go's strconv.FormatUint(id, 16): a leading zero nibble gives 15 digits.
  assert.match(body.clusterId, /^[1-9a-f][0-9a-f]{0,15}$/);
  const member = only(body.members);
  assert.deepStrictEqual(Object.keys(member).sort(), ['clientURLs', 'id', 'name', 'peerURLs']);
  assert.match(member.id, /^[1-9a-f][0-9a-f]{0,15}$/);
  assert.equal(member.name, 'm1');
  assert.deepStrictEqual(member.peerURLs, [m1.peerURL]);
  await eventually(
    async () => (await peerMembers(m1)).members[0]?.clientURLs[0] === m1.clientURL,
    START_UP_MS,
    'client URLs published',
  );
});
