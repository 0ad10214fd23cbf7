// Throughput of the peer transport: append messages of 8 entries x 256 bytes
// from one transport to another over loopback h2c, with a bounded number of
// messages in flight (as a leader's pipeline would have).
// Run: node --import tsx tools/bench/transport.ts [seconds] [batch]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { asIndex, asMemberId, asTerm, type Entry, type Message } from '../../lib/wire/index.js';
import { PeerTransport } from '../../lib/transport/index.js';

const seconds = Number(process.argv[2] ?? 5);
const batch = Number(process.argv[3] ?? 64);
const ENTRIES = 8;
const ENTRY_BYTES = 256;
const IN_FLIGHT = 8192;

const A = asMemberId('000000000000000a');
const B = asMemberId('000000000000000b');
const logger = pino({ level: 'warn' });
const snapshotDir = mkdtempSync(join(tmpdir(), 'kvd-bench-transport-'));
process.on('exit', () => rmSync(snapshotDir, { recursive: true, force: true }));
let received = 0;
let dropped = 0;

function transport(self: typeof A, onMessage: (m: Message) => void): PeerTransport {
  return new PeerTransport({
    self,
    clusterId: 'bench',
    logger,
    snapshotDir,
    onMessage,
    onUnreachable: () => void dropped++,
    onSnapshotStatus: () => {},
    isKnownMember: () => true,
  });
}

const a = transport(A, () => {});
const b = transport(B, () => void received++);
const urlB = await b.listen('http://127.0.0.1:0');
a.addPeer(B, [urlB]);
while (a.stats().peers[B]?.connected !== true) await new Promise((r) => setTimeout(r, 5));

const payload = Buffer.alloc(ENTRY_BYTES, 7);
function message(index: number): Message {
  const entries: Entry[] = [];
  for (let i = 0; i < ENTRIES; i++)
    entries.push({ term: asTerm(1), index: asIndex(index + i), type: 'normal', data: payload });
  return {
    type: 'append',
    from: A,
    to: B,
    term: asTerm(1),
    prevIndex: asIndex(index - 1),
    prevTerm: asTerm(1),
    entries,
    commit: asIndex(index),
  };
}

let sent = 0;
const until = performance.now() + seconds * 1000;
const started = performance.now();
const msgs: Message[] = [];
await new Promise<void>((resolve) => {
  const tick = (): void => {
    if (performance.now() >= until) return resolve();
    msgs.length = 0;
    while (msgs.length < batch && sent - received < IN_FLIGHT) msgs.push(message(1 + sent++ * ENTRIES));
    if (msgs.length > 0) a.send(msgs);
    setImmediate(tick);
  };
  tick();
});
while (received + dropped < sent) await new Promise((r) => setTimeout(r, 1));
const elapsed = (performance.now() - started) / 1000;
const s = a.stats().peers[B];
if (s === undefined) throw new Error(`the sender's transport reports no stats for its peer ${B}`);
console.log(
  JSON.stringify({
    seconds: Number(elapsed.toFixed(2)),
    batch,
    messages: received,
    dropped,
    msgsPerSec: Math.round(received / elapsed),
    wireMBPerSec: Number((s.sentBytes / elapsed / 1e6).toFixed(1)),
    payloadMBPerSec: Number(((received * ENTRIES * ENTRY_BYTES) / elapsed / 1e6).toFixed(1)),
    rttMs: s.rttMs,
  }),
);
await Promise.all([a.close(), b.close()]);
