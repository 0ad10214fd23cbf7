// Incoming snapshot streams, forged with the project's codec: written to a
// file as they arrive, bounded in number, dropped when idle, and never
// allocated at the size the sender declares.

import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { asIndex, asMemberId, asTerm, type MemberId, type Message } from '../../lib/raft/types.js';
import { encodeFrame } from '../../lib/transport/codec.js';
import { A, B, C, CLUSTER, connected, FAST, mesh, startNode, waitFor, type Node } from './helpers.js';
import { first } from '../support/pick.js';

const D = asMemberId('000000000000000d');
const GiB = 1 << 30;
const MiB = 1 << 20;

const open: Node[] = [];
const forged: http2.ClientHttp2Session[] = [];
async function node(...args: Parameters<typeof startNode>): Promise<Node> {
  const n = await startNode(...args);
  open.push(n);
  return n;
}
after(async () => {
  for (const s of forged) s.destroy();
  await Promise.all(open.map((n) => n.transport.close()));
});

function snapshotMessage(from: MemberId, to: MemberId, data: Buffer = Buffer.alloc(0)): Message {
  return {
    type: 'snapshot',
    from,
    to,
    term: asTerm(2),
    snapshot: { meta: { index: asIndex(42), term: asTerm(2), conf: { voters: [A, B] } }, data },
  };
}

interface Forged {
  readonly stream: http2.ClientHttp2Stream;
  /** Status and body of the answer, once the receiver ended it. */
  readonly answer: Promise<{ status: number; body: string }>;
  /** Writes n bytes of data, waiting for the flow-control window as a sender must. */
  send(n: number): Promise<void>;
}

/** A snapshot stream as a forger would open it: headers, the header frame, then whatever data it likes. */
function forge(
  url: string,
  from: MemberId,
  to: MemberId,
  declaredBytes: number,
  header: Message = snapshotMessage(from, to),
): Forged {
  const session = http2.connect(url);
  forged.push(session);
  session.on('error', () => {});
  const stream = session.request({
    ':method': 'POST',
    ':path': '/raft/snapshot',
    'x-kvd-cluster-id': CLUSTER,
    'x-kvd-from': from,
    'x-kvd-to': to,
    'x-kvd-snapshot-bytes': String(declaredBytes),
  });
  stream.on('error', () => {});
  let status = 0;
  let body = '';
  stream.on('response', (h) => void (status = Number(h[':status'])));
  stream.setEncoding('utf8');
  stream.on('data', (c: string) => void (body += c));
  // The receiver ends its side when it answers; the forger's side may stay open.
  const answer = new Promise<{ status: number; body: string }>((resolve) => {
    stream.on('end', () => resolve({ status, body }));
    stream.on('close', () => resolve({ status, body }));
  });
  stream.write(encodeFrame(header));
  const chunk = Buffer.alloc(MiB, 0x5a);
  const send = async (n: number): Promise<void> => {
    for (let left = n; left > 0 && !stream.destroyed;) {
      const part = Math.min(left, chunk.length);
      left -= part;
      if (!stream.write(chunk.subarray(0, part))) {
        await new Promise<void>((resolve) => {
          stream.once('drain', resolve);
          stream.once('close', resolve);
        });
      }
    }
  };
  return { stream, answer, send };
}

const partFiles = (n: Node) => readdirSync(n.snapshotDir).filter((f) => f.endsWith('.part'));
const partBytes = (n: Node) => partFiles(n).reduce((sum, f) => sum + statSync(join(n.snapshotDir, f)).size, 0);

test('an incoming snapshot is written to a file in the snapshot directory as it arrives, not to a buffer of the declared size', async () => {
  const b = await node(B, [A, B]);
  const before = process.memoryUsage().arrayBuffers;
  const f = forge(b.url, A, B, 2 * GiB - 1);
  await f.send(8 * MiB);
  await waitFor('8 MiB in a part file', () => partBytes(b) === 8 * MiB);
  assert.equal(partFiles(b).length, 1);
  assert.match(first(partFiles(b)), /^peer-000000000000000a\.\d+-\d+\.part$/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 512 * MiB, 'nothing near the declared 2 GiB was allocated');
  f.stream.close(http2.constants.NGHTTP2_CANCEL);
  await waitFor('the part file removed once the sender gave up', () => partFiles(b).length === 0);
  assert.deepStrictEqual(b.received, []);
});

test('a complete snapshot is delivered with its data and leaves no file behind', async () => {
  const a = await node(A, [A, B]);
  const b = await node(B, [A, B]);
  mesh([a, b]);
  await waitFor('connected', connected(a, B));
  const data = Buffer.alloc(3 * MiB + 17);
  for (let i = 0; i < data.length; i++) data[i] = i % 251;
  a.transport.send([snapshotMessage(A, B, data)]);
  await waitFor('snapshot status', () => a.snapshotStatus.length === 1);
  assert.deepStrictEqual(a.snapshotStatus, [{ id: B, ok: true }]);
  const got = b.received.find((m) => m.type === 'snapshot') as Extract<Message, { type: 'snapshot' }>;
  assert.ok(got.snapshot.data.equals(data), 'the data arrived intact');
  assert.equal(got.snapshot.meta.index, 42);
  assert.deepStrictEqual(readdirSync(b.snapshotDir), []);
});

test('a second snapshot from a member that is already sending one is refused with 429', async () => {
  const b = await node(B, [A, B]);
  const first = forge(b.url, A, B, 64 * MiB);
  await first.send(MiB);
  await waitFor('the first is being written', () => partBytes(b) === MiB);
  const second = forge(b.url, A, B, 64 * MiB);
  const answer = await second.answer;
  assert.equal(answer.status, 429);
  assert.match(answer.body, /a snapshot from 000000000000000a is already being received/);
  assert.equal(partFiles(b).length, 1);
});

test('snapshots beyond the global limit are refused with 429, and a finished one frees its place', async () => {
  const b = await node(B, [A, B, C, D], { tuning: { ...FAST, maxIncomingSnapshots: 2 } });
  const fromA = forge(b.url, A, B, MiB);
  const fromC = forge(b.url, C, B, MiB);
  await Promise.all([fromA.send(1), fromC.send(1)]);
  await waitFor('two being received', () => partFiles(b).length === 2);
  const fromD = forge(b.url, D, B, MiB);
  const refused = await fromD.answer;
  assert.equal(refused.status, 429);
  assert.match(refused.body, /2 snapshots are already being received/);
  await fromA.send(MiB - 1);
  fromA.stream.end();
  assert.equal((await fromA.answer).status, 204);
  const again = forge(b.url, D, B, 0);
  again.stream.end();
  assert.equal((await again.answer).status, 204);
  fromC.stream.close(http2.constants.NGHTTP2_CANCEL);
});

test('an idle snapshot stream is dropped after the idle timeout, with its file', async () => {
  const b = await node(B, [A, B], { tuning: { ...FAST, snapshotIdleMs: 200 } });
  const f = forge(b.url, A, B, 64 * MiB);
  await f.send(MiB);
  const answer = await f.answer;
  assert.equal(answer.status, 408);
  assert.match(answer.body, /idle for 200 ms/);
  await waitFor('the part file removed', () => partFiles(b).length === 0);
  const next = forge(b.url, A, B, 0);
  next.stream.end();
  assert.equal((await next.answer).status, 204, 'the member may send again');
});

test('a snapshot that ends short of its declared size is refused and leaves no file', async () => {
  const b = await node(B, [A, B]);
  const f = forge(b.url, A, B, 4 * MiB);
  await f.send(MiB);
  f.stream.end();
  const answer = await f.answer;
  assert.equal(answer.status, 400);
  assert.match(answer.body, /ended after 1048576 of 4194304 bytes/);
  await waitFor('no file left', () => readdirSync(b.snapshotDir).length === 0);
  assert.equal(b.received.length, 0);
});

test('a snapshot whose header frame names another sender is refused before its data is stored', async () => {
  const b = await node(B, [A, B, C]);
  const f = forge(b.url, A, B, 64 * MiB, snapshotMessage(C, B));
  await f.send(MiB);
  const answer = await f.answer;
  assert.equal(answer.status, 400);
  assert.match(answer.body, /snapshot from 000000000000000c to 000000000000000b on a stream of 000000000000000a/);
  await waitFor('no file left', () => readdirSync(b.snapshotDir).length === 0);
});

test('a snapshot declaring more than the maximum is refused with 413 before anything is stored', async () => {
  const b = await node(B, [A, B], { tuning: { ...FAST, maxSnapshotBytes: MiB } });
  const f = forge(b.url, A, B, MiB + 1);
  void f.send(MiB);
  const answer = await f.answer;
  assert.equal(answer.status, 413);
  assert.deepStrictEqual(readdirSync(b.snapshotDir), []);
});

test('files an earlier run left in the snapshot directory are removed when the transport listens', async () => {
  const first = await node(B, [A, B]);
  const dir = first.snapshotDir;
  await first.transport.close();
  const leftovers = [
    'peer-000000000000000a.123-4.part',
    'peer-000000000000000a-0000000000000002-000000000000002a.received',
  ];
  for (const name of leftovers) writeFileSync(join(dir, name), 'x');
  writeFileSync(join(dir, '0000000000000002-000000000000002a.snap'), 'not ours');
  await node(B, [A, B], { snapshotDir: dir });
  assert.deepStrictEqual(readdirSync(dir), ['0000000000000002-000000000000002a.snap']);
});
