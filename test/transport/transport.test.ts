import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { asIndex, asMemberId, asTerm, type MemberId, type Message } from '../../lib/raft/types.js';
import { fetchPeerJSON, PeerRequestError } from '../../lib/transport/index.js';
import { encodeFrame } from '../../lib/transport/codec.js';
import { isLoopback } from '../../lib/transport/peer-server.js';
import {
  A,
  append,
  B,
  C,
  CLUSTER,
  connected,
  FAST,
  heartbeat,
  mesh,
  peerStats,
  plain,
  rawRequest,
  startNode,
  waitFor,
  type Node,
} from './helpers.js';
import { first, only } from '../support/pick.js';

const open: Node[] = [];
async function node(...args: Parameters<typeof startNode>): Promise<Node> {
  const n = await startNode(...args);
  open.push(n);
  return n;
}
after(async () => {
  await Promise.all(open.map((n) => n.transport.close()));
});

const commits = (n: Node, from: MemberId) =>
  n.received.filter((m) => m.from === from && m.type === 'heartbeat').map((m) => (m as { commit: number }).commit);

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

const streamHeaders = (from: string, to: string, cluster = CLUSTER) => ({
  ':path': '/raft/stream',
  'x-kvd-cluster-id': cluster,
  'x-kvd-from': from,
  'x-kvd-to': to,
});

test('two transports deliver messages in order in both directions', async () => {
  const a = await node(A, [A, B]);
  const b = await node(B, [A, B]);
  mesh([a, b]);
  await waitFor('both connected', () => connected(a, B)() && connected(b, A)());
  for (let i = 1; i <= 300; i++) {
    a.transport.send([heartbeat(A, B, i)]);
    b.transport.send([heartbeat(B, A, i)]);
    // Not a wait for anything: the event loop's turn a member's tick would give the sockets between sends.
    if (i % 50 === 0) await sleep(1);
  }
  const expected = Array.from({ length: 300 }, (_, i) => i + 1);
  await waitFor('all delivered', () => b.received.length === 300 && a.received.length === 300);
  assert.deepStrictEqual(commits(b, A), expected);
  assert.deepStrictEqual(commits(a, B), expected);
  assert.deepStrictEqual(a.unreachable, []);
});

test('messages arrive with every field intact', async () => {
  const a = await node(A, [A, B]);
  const b = await node(B, [A, B]);
  mesh([a, b]);
  await waitFor('connected', connected(a, B));
  const sent: Message[] = [
    append(A, B, 10, 8, 256),
    { type: 'vote', from: A, to: B, term: asTerm(4), lastIndex: asIndex(9), lastTerm: asTerm(3), transfer: false },
    { type: 'readIndexResp', from: A, to: B, term: asTerm(4), ctx: 'read-1', index: asIndex(17) },
    { type: 'timeoutNow', from: A, to: B, term: asTerm(4) },
  ];
  a.transport.send(sent);
  await waitFor('delivered', () => b.received.length === sent.length);
  assert.deepStrictEqual(b.received.map(plain), sent.map(plain));
});

test("three transports deliver each sender's messages in order to every other member", async () => {
  const ids = [A, B, C];
  const nodes = await Promise.all(ids.map((id) => node(id, ids)));
  mesh(nodes);
  await waitFor('all connected', () => nodes.every((n) => ids.every((p) => p === n.id || connected(n, p)())));
  for (let i = 1; i <= 100; i++) {
    for (const n of nodes) n.transport.send(ids.filter((p) => p !== n.id).map((p) => heartbeat(n.id, p, i)));
  }
  await waitFor('all delivered', () => nodes.every((n) => n.received.length === 200));
  const expected = Array.from({ length: 100 }, (_, i) => i + 1);
  for (const n of nodes) for (const p of ids) if (p !== n.id) assert.deepStrictEqual(commits(n, p), expected);
});

test('sends in one turn of the event loop all reach the peer, in order and framed alone', async () => {
  const a = await node(A, [A, B]);
  const b = await node(B, [A, B]);
  mesh([a, b]);
  await waitFor('connected', connected(a, B));
  const before = b.transport.stats().peers[A]?.recvBytes ?? 0;
  for (let i = 1; i <= 20; i++) a.transport.send([heartbeat(A, B, i)]);
  const frameBytes = encodeFrame(heartbeat(A, B, 1)).length;
  await waitFor('delivered', () => b.received.length === 20);
  assert.deepStrictEqual(
    commits(b, A),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.equal(peerStats(b, A).recvBytes - before, 20 * frameBytes);
  assert.equal(peerStats(a, B).sentMsgs, 20);
});

test('a peer whose server restarts on the same port is reconnected', async () => {
  const a = await node(A, [A, B]);
  const b1 = await startNode(B, [A, B]);
  a.transport.addPeer(B, [b1.url]);
  await waitFor('connected', connected(a, B));
  a.transport.send([heartbeat(A, B, 1)]);
  await waitFor('first delivered', () => b1.received.length === 1);
  await b1.transport.close();
  await waitFor('disconnected', () => !connected(a, B)());
  const b2 = await node(B, [A, B], { url: b1.url });
  await waitFor('reconnected', connected(a, B));
  a.transport.send([heartbeat(A, B, 2)]);
  await waitFor('delivered after restart', () => b2.received.length === 1);
  assert.deepStrictEqual(commits(b2, A), [2]);
});

test('messages to a peer that is not listening are dropped and reported unreachable', async () => {
  const a = await node(A, [A, B]);
  a.transport.addPeer(B, [`http://127.0.0.1:${await freePort()}`]);
  for (let i = 0; i < 50; i++) a.transport.send([heartbeat(A, B, i), append(A, B, 1, 8, 256)]);
  const s = peerStats(a, B);
  assert.equal(s.connected, false);
  assert.equal(s.sentMsgs, 0);
  assert.equal(s.droppedMsgs, 100);
  // Once per send() call and peer, not once per message.
  assert.deepStrictEqual(a.unreachable, Array(50).fill(B));
});

test('messages to a member that was never added are reported unreachable', async () => {
  const a = await node(A, [A, B]);
  a.transport.send([heartbeat(A, B, 1)]);
  assert.deepStrictEqual(a.unreachable, [B]);
});

test('a peer that stops reading gets no more than maxPendingBytes queued; the rest is dropped', async () => {
  // A peer that accepts the stream but never reads it: flow control stalls the sender.
  const stalled = http2.createServer();
  stalled.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    stream.pause();
  });
  await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
  const a = await node(A, [A, B], { tuning: { ...FAST, maxPendingBytes: 256 * 1024 } });
  try {
    a.transport.addPeer(B, [`http://127.0.0.1:${(stalled.address() as net.AddressInfo).port}`]);
    await waitFor('connected', connected(a, B));
    const msg = append(A, B, 1, 8, 256);
    const frame = encodeFrame(msg).length;
    for (let i = 0; i < 20; i++) {
      a.transport.send(Array(100).fill(msg));
      // Not a wait for anything: a turn for the stream to write, as between a member's ticks, until flow control stalls it.
      await sleep(1);
    }
    const s = peerStats(a, B);
    assert.ok(s.droppedMsgs > 0, 'some messages were dropped');
    assert.ok(s.sentBytes <= 256 * 1024 + 64 * 1024 + frame, `queued ${s.sentBytes} bytes`);
    assert.ok(a.unreachable.includes(B));
  } finally {
    await a.transport.close();
    stalled.close();
  }
});

test('a 50 MB snapshot arrives intact while small messages keep flowing', async () => {
  const a = await node(A, [A, B]);
  const b = await node(B, [A, B]);
  mesh([a, b]);
  await waitFor('connected', connected(a, B));
  const data = Buffer.allocUnsafe(50 * 1024 * 1024);
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length / 4);
  for (let i = 0; i < words.length; i++) words[i] = i;
  const snapshot: Message = {
    type: 'snapshot',
    from: A,
    to: B,
    term: asTerm(3),
    snapshot: { meta: { index: asIndex(1000), term: asTerm(3), conf: { voters: [A, B] } }, data },
  };
  a.transport.send([snapshot]);
  let beat = 0;
  let scanned = 0;
  const arrived = (): boolean => {
    for (; scanned < b.received.length; scanned++) if (b.received[scanned]?.type === 'snapshot') return true;
    return false;
  };
  while (!arrived() && beat < 100_000) {
    a.transport.send([heartbeat(A, B, ++beat)]);
    await new Promise((r) => setImmediate(r));
  }
  await waitFor('snapshot status', () => a.snapshotStatus.length === 1);
  assert.deepStrictEqual(a.snapshotStatus, [{ id: B, ok: true }]);
  const at = b.received.findIndex((m) => m.type === 'snapshot');
  const got = b.received[at] as Extract<Message, { type: 'snapshot' }>;
  assert.ok(got.snapshot.data.equals(data), 'snapshot data intact');
  assert.deepStrictEqual(plain(got.snapshot.meta), plain(snapshot.snapshot.meta));
  assert.ok(at > 0, 'heartbeats were delivered while the snapshot was in flight');
  assert.deepStrictEqual(
    commits(b, A).slice(0, at),
    Array.from({ length: at }, (_, i) => i + 1),
  );
});

test('a snapshot to a peer that is not connected fails at once', async () => {
  const a = await node(A, [A, B]);
  a.transport.addPeer(B, [`http://127.0.0.1:${await freePort()}`]);
  a.transport.send([
    {
      type: 'snapshot',
      from: A,
      to: B,
      term: asTerm(1),
      snapshot: { meta: { index: asIndex(1), term: asTerm(1), conf: { voters: [A] } }, data: Buffer.alloc(10) },
    },
  ]);
  assert.deepStrictEqual(a.snapshotStatus, [{ id: B, ok: false }]);
  assert.deepStrictEqual(a.unreachable, [B]);
});

test('a snapshot larger than the receiver accepts is refused and reported failed', async () => {
  const a = await node(A, [A, B]);
  const b = await node(B, [A, B], { tuning: { ...FAST, maxSnapshotBytes: 1024 } });
  mesh([a, b]);
  await waitFor('connected', connected(a, B));
  a.transport.send([
    {
      type: 'snapshot',
      from: A,
      to: B,
      term: asTerm(1),
      snapshot: { meta: { index: asIndex(1), term: asTerm(1), conf: { voters: [A] } }, data: Buffer.alloc(4096) },
    },
  ]);
  await waitFor('snapshot status', () => a.snapshotStatus.length === 1);
  assert.deepStrictEqual(a.snapshotStatus, [{ id: B, ok: false }]);
  assert.equal(b.received.length, 0);
  assert.ok(b.lines.some((l) => l.msg === 'refused peer stream' && l.status === 413));
  // The message stream is unaffected.
  a.transport.send([heartbeat(A, B, 1)]);
  await waitFor('heartbeat', () => b.received.length === 1);
});

test('a stream from another cluster is refused with 412 and logged with the remote address', async () => {
  const b = await node(B, [A, B]);
  const answer = await rawRequest(b.url, streamHeaders(A, B, 'another-cluster'));
  assert.equal(answer.status, 412);
  assert.match(answer.body, /cluster id mismatch/);
  const warning = only(
    b.lines.filter((l) => l.msg === 'refused peer stream'),
    'one refusal logged',
  );
  assert.equal(warning.level, 40);
  assert.match(String(warning.remote), /^127\.0\.0\.1:\d+$/);
  assert.equal(warning.clusterId, 'another-cluster');
});

test('a transport of another cluster never connects and says so once, however often it redials', async () => {
  const b = await node(B, [A, B]);
  const a = await node(A, [A, B], { clusterId: 'another-cluster' });
  a.transport.addPeer(B, [b.url]);
  await waitFor('three refusals', () => b.lines.filter((l) => l.msg === 'refused peer stream').length >= 3);
  assert.equal(connected(a, B)(), false);
  assert.equal(a.lines.filter((l) => l.msg === 'peer refused our stream').length, 1);
  a.transport.send([heartbeat(A, B, 1)]);
  assert.deepStrictEqual(a.unreachable, [B]);
  assert.equal(b.received.length, 0);
});

test('a stream from an unknown member is refused with 403', async () => {
  const b = await node(B, [A, B]);
  const answer = await rawRequest(b.url, streamHeaders('00000000000000ff', B));
  assert.equal(answer.status, 403);
  assert.match(answer.body, /00000000000000ff is not a member/);
  assert.equal(b.lines.filter((l) => l.msg === 'refused peer stream').length, 1);
});

test('a stream meant for another member id is refused with 412', async () => {
  const b = await node(B, [A, B]);
  const answer = await rawRequest(b.url, streamHeaders(A, C));
  assert.equal(answer.status, 412);
  assert.match(answer.body, /member id mismatch/);
});

test('a malformed frame closes only that stream; the member keeps serving', async () => {
  const b = await node(B, [A, B]);
  const garbage = Buffer.from([0, 0, 0, 3, 0xff, 0xff, 0xff]);
  const answer = await rawRequest(b.url, streamHeaders(A, B), garbage, { keepOpen: true });
  assert.equal(answer.status, 200);
  assert.equal(answer.rstCode, http2.constants.NGHTTP2_PROTOCOL_ERROR);
  assert.ok(b.lines.some((l) => l.msg === 'bad frame on peer stream; closing it'));
  const a = await node(A, [A, B]);
  a.transport.addPeer(B, [b.url]);
  await waitFor('connected', connected(a, B));
  a.transport.send([heartbeat(A, B, 1)]);
  await waitFor('delivered', () => b.received.length === 1);
});

test('a frame claiming another sender is refused', async () => {
  const b = await node(B, [A, B, C]);
  const answer = await rawRequest(b.url, streamHeaders(A, B), encodeFrame(heartbeat(C, B, 1)), { keepOpen: true });
  assert.equal(answer.rstCode, http2.constants.NGHTTP2_PROTOCOL_ERROR);
  assert.equal(b.received.length, 0);
});

test('bytes that are not HTTP/2 do not disturb the peer server', async () => {
  const b = await node(B, [A, B], { versionJSON: () => ({ etcdserver: '3.4.0', etcdcluster: '3.4.0' }) });
  const port = Number(new URL(b.url).port);
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.resume();
  socket.end('GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => socket.on('close', r));
  assert.deepStrictEqual(await fetchPeerJSON(b.url, '/version'), { etcdserver: '3.4.0', etcdcluster: '3.4.0' });
});

test('GET /members answers from the membersJSON callback', async () => {
  const members = [{ id: A, name: 'a', peerURLs: ['http://127.0.0.1:1'], clientURLs: [] }];
  const b = await node(B, [A, B], { membersJSON: () => members });
  assert.deepStrictEqual(await fetchPeerJSON(b.url, '/members', { clusterId: CLUSTER }), members);
});

test('GET /members from another cluster is refused with 412', async () => {
  const b = await node(B, [A, B], { membersJSON: () => [] });
  await assert.rejects(fetchPeerJSON(b.url, '/members', { clusterId: 'another-cluster' }), (err: unknown) => {
    assert.ok(err instanceof PeerRequestError);
    assert.equal(err.status, 412);
    return true;
  });
});

test('GET /version without a versionJSON callback is 404', async () => {
  const b = await node(B, [A, B]);
  await assert.rejects(
    fetchPeerJSON(b.url, '/version'),
    (err: unknown) => err instanceof PeerRequestError && err.status === 404,
  );
});

test('round-trip times are sampled with pings while connected', async () => {
  const a = await node(A, [A, B], { tuning: { ...FAST, pingIntervalMs: 10 } });
  const b = await node(B, [A, B]);
  a.transport.addPeer(B, [b.url]);
  await waitFor('two samples', () => peerStats(a, B).rttMs.samples >= 2);
  const rtt = peerStats(a, B).rttMs;
  assert.ok(rtt.min > 0 && rtt.min <= rtt.avg && rtt.avg <= rtt.max);
});

test("removePeer closes the session to the peer and the peer's stream to us", async () => {
  const a = await node(A, [A, B]);
  const b = await node(B, [A, B]);
  mesh([a, b]);
  await waitFor('connected', () => connected(a, B)() && connected(b, A)());
  a.transport.removePeer(B);
  assert.equal(a.transport.stats().peers[B], undefined);
  await waitFor('b sees its stream closed', () => !connected(b, A)());
  a.transport.send([heartbeat(A, B, 1)]);
  assert.deepStrictEqual(a.unreachable, [B]);
});

test("updatePeer moves the session to the peer's new URL", async () => {
  const a = await node(A, [A, B]);
  const b1 = await node(B, [A, B]);
  a.transport.addPeer(B, [b1.url]);
  await waitFor('connected', connected(a, B));
  const b2 = await node(B, [A, B]);
  a.transport.updatePeer(B, [b2.url]);
  await waitFor('reconnected', connected(a, B));
  a.transport.send([heartbeat(A, B, 1)]);
  await waitFor('delivered to the new URL', () => b2.received.length === 1);
  assert.equal(b1.received.length, 0);
});

test('a peer with several URLs is reached on one that works', async () => {
  const a = await node(A, [A, B]);
  const b = await node(B, [A, B]);
  a.transport.addPeer(B, [`http://127.0.0.1:${await freePort()}`, b.url]);
  await waitFor('connected', connected(a, B));
  a.transport.send([heartbeat(A, B, 1)]);
  await waitFor('delivered', () => b.received.length === 1);
});

/** A TCP relay to url whose connections can be frozen: bytes stop flowing without a FIN, as in a partition. */
async function freezableRelay(url: string): Promise<{ url: string; freeze(): void; close(): void }> {
  const relayed: net.Socket[] = [];
  const frozen: net.Socket[] = [];
  const relay = net.createServer((inbound) => {
    const outbound = net.connect(Number(new URL(url).port), '127.0.0.1');
    relayed.push(inbound, outbound);
    inbound.on('error', () => {});
    outbound.on('error', () => {});
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(relay.address() as net.AddressInfo).port}`,
    freeze() {
      for (const s of relayed.splice(0)) {
        s.unpipe();
        s.pause();
        frozen.push(s);
      }
    },
    close() {
      for (const s of [...relayed, ...frozen]) s.destroy();
      relay.close();
    },
  };
}

const PINGY = { ...FAST, pingIntervalMs: 10, pingTimeoutMs: 100 };

test('a peer that stops answering pings is disconnected and redialled', async () => {
  const b = await node(B, [A, B], { tuning: PINGY });
  const relay = await freezableRelay(b.url);
  const a = await node(A, [A, B], { tuning: PINGY });
  try {
    a.transport.addPeer(B, [relay.url]);
    await waitFor('connected', connected(a, B));
    relay.freeze();
    await waitFor('disconnected', () => !connected(a, B)());
    assert.ok(
      a.lines.some((l) => l.msg === 'peer did not answer a ping; reconnecting'),
      'a says why it reconnects',
    );
    await waitFor('redialled', connected(a, B));
    a.transport.send([heartbeat(A, B, 1)]);
    await waitFor('delivered on the new session', () => b.received.length === 1);
  } finally {
    await a.transport.close();
    relay.close();
  }
});

test("a session dialled to us that stops answering our pings is closed, freeing the member's place", async () => {
  const b = await node(B, [A, B], { tuning: PINGY });
  const relay = await freezableRelay(b.url);
  // a itself would not notice for a minute.
  const a = await node(A, [A, B], { tuning: { ...FAST, pingTimeoutMs: 60_000 } });
  try {
    a.transport.addPeer(B, [relay.url]);
    await waitFor('connected', connected(a, B));
    relay.freeze();
    await waitFor('b closed the silent session', () =>
      b.lines.some((l) => l.msg === 'peer session did not answer a ping; closing it'),
    );
    const answer = await rawRequest(b.url, streamHeaders(A, B), encodeFrame(heartbeat(A, B, 3)));
    assert.equal(answer.status, 200, 'a new stream from A is accepted');
    await waitFor('delivered', () => b.received.length === 1);
  } finally {
    await a.transport.close();
    relay.close();
  }
});

test('a message stream claiming a member whose own stream is live is refused, and the member keeps its place', async () => {
  const a = await node(A, [A, B]);
  const b = await node(B, [A, B]);
  a.transport.addPeer(B, [b.url]);
  await waitFor('connected', connected(a, B));
  const answer = await rawRequest(b.url, streamHeaders(A, B), encodeFrame(heartbeat(A, B, 99)));
  assert.equal(answer.status, 409);
  assert.match(
    answer.body,
    /member 000000000000000a already has a live message stream; another connection may not replace it/,
  );
  assert.ok(
    b.lines.some((l) => l.msg === 'refused peer stream' && l.status === 409),
    'the refusal is a warning',
  );
  a.transport.send([heartbeat(A, B, 1)]);
  await waitFor('a still delivers', () => b.received.length === 1);
  assert.deepStrictEqual(commits(b, A), [1]);
  assert.equal(connected(a, B)(), true);
});

test('close() leaves no open handles behind', async () => {
  const kinds = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate'];
  const count = () => process.getActiveResourcesInfo().filter((k) => kinds.includes(k)).length;
  const baseline = count();
  const a = await startNode(A, [A, B]);
  const b = await startNode(B, [A, B]);
  mesh([a, b]);
  await waitFor('connected', () => connected(a, B)() && connected(b, A)());
  a.transport.send([heartbeat(A, B, 1)]);
  await waitFor('delivered', () => b.received.length === 1);
  await Promise.all([a.transport.close(), b.transport.close()]);
  await waitFor('handles released', () => count() <= baseline, 100);
});

test('nothing is delivered or reported after close()', async () => {
  const a = await startNode(A, [A, B]);
  await a.transport.close();
  a.transport.send([heartbeat(A, B, 1)]);
  assert.deepStrictEqual(a.unreachable, []);
  await assert.rejects(a.transport.listen('http://127.0.0.1:0'));
});

test('a member id is what the peer sees as the sender', async () => {
  const a = await node(asMemberId('8e9e05c52164694d'), ['8e9e05c52164694d', B].map(asMemberId));
  const b = await node(B, ['8e9e05c52164694d', B].map(asMemberId));
  mesh([a, b]);
  await waitFor('connected', connected(a, B));
  a.transport.send([heartbeat(a.id, B, 1)]);
  await waitFor('delivered', () => b.received.length === 1);
  assert.equal(first(b.received).from, '8e9e05c52164694d');
  assert.equal(peerStats(b, '8e9e05c52164694d').recvMsgs, 1);
});

test('only addresses of this host count as loopback for the peer port warning', () => {
  for (const address of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1'])
    assert.equal(isLoopback(address), true, address);
  for (const address of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.5', '::ffff:10.0.0.1', 'fe80::1'])
    assert.equal(isLoopback(address), false, address);
});
