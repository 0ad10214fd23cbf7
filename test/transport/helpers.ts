// Shared fixtures for the transport tests: transports on 127.0.0.1:0 with
// recording callbacks, a log that can be inspected, and bounded waiting.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { asIndex, asMemberId, asTerm, type MemberId, type Message } from '../../lib/raft/types.js';
import {
  PeerTransport,
  type PeerStatsReport,
  type TransportOptions,
  type TransportTuning,
} from '../../lib/transport/index.js';

export const A = asMemberId('000000000000000a');
export const B = asMemberId('000000000000000b');
export const C = asMemberId('000000000000000c');
export const CLUSTER = 'cdf818194e3a8c32';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A pino logger whose lines (warn and above unless told) land in an array. */
export function captureLogger(level: pino.Level = 'warn'): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

export interface Node {
  readonly id: MemberId;
  readonly transport: PeerTransport;
  readonly received: Message[];
  readonly unreachable: MemberId[];
  readonly snapshotStatus: Array<{ id: MemberId; ok: boolean }>;
  readonly lines: LogLine[];
  /** Where the node writes incoming snapshots. */
  readonly snapshotDir: string;
  url: string;
}

const scratch: string[] = [];
process.on('exit', () => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A directory removed when the test process exits. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvd-transport-'));
  scratch.push(dir);
  return dir;
}

export const FAST: Partial<TransportTuning> = {
  backoff: { initialMs: 10, maxMs: 50, jitter: 0.2, random: () => 0.5 },
  closeTimeoutMs: 500,
  dialTimeoutMs: 500,
};

export async function startNode(
  id: MemberId,
  members: readonly MemberId[],
  overrides: Partial<TransportOptions> & { url?: string } = {},
): Promise<Node> {
  const { logger, lines } = captureLogger();
  const snapshotDir = join(scratchDir(), 'snap');
  const node: Node = {
    id,
    transport: undefined!,
    received: [],
    unreachable: [],
    snapshotStatus: [],
    lines,
    snapshotDir,
    url: '',
  };
  const transport = new PeerTransport({
    self: id,
    clusterId: CLUSTER,
    logger,
    snapshotDir,
    onMessage: (m) => void node.received.push(m),
    onUnreachable: (to) => void node.unreachable.push(to),
    onSnapshotStatus: (to, ok) => void node.snapshotStatus.push({ id: to, ok }),
    isKnownMember: (m) => members.includes(m),
    tuning: FAST,
    ...overrides,
  });
  (node as { transport: PeerTransport }).transport = transport;
  node.url = await transport.listen(overrides.url ?? 'http://127.0.0.1:0');
  return node;
}

/** Adds every node as a peer of every other one. */
export function mesh(nodes: readonly Node[]): void {
  for (const n of nodes) for (const p of nodes) if (p !== n) n.transport.addPeer(p.id, [p.url]);
}

/** Polls cond every few milliseconds; throws after `tries` polls rather than hang. */
export async function waitFor(what: string, cond: () => boolean, tries = 500, everyMs = 10): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return;
    await sleep(everyMs);
  }
  throw new Error(`gave up waiting for ${what}`);
}

export const connected = (n: Node, to: MemberId) => () => n.transport.stats().peers[to]?.connected === true;

/** n's counters for its link to peer, failing the test when n has no such peer. */
export function peerStats(n: Node, peer: string): PeerStatsReport {
  const s = n.transport.stats().peers[peer];
  assert.ok(s, `${n.id} has no peer ${peer}`);
  return s;
}

export function heartbeat(from: MemberId, to: MemberId, commit: number): Message {
  return { type: 'heartbeat', from, to, term: asTerm(1), commit: asIndex(commit), ctx: '' };
}

/** An append with n entries of size bytes each. */
export function append(from: MemberId, to: MemberId, index: number, n: number, size: number): Message {
  const entries = [];
  for (let i = 0; i < n; i++) {
    entries.push({
      term: asTerm(2),
      index: asIndex(index + i),
      type: 'normal' as const,
      data: Buffer.alloc(size, (index + i) & 0xff),
    });
  }
  return {
    type: 'append',
    from,
    to,
    term: asTerm(2),
    prevIndex: asIndex(index - 1),
    prevTerm: asTerm(2),
    entries,
    commit: asIndex(index - 1),
  };
}

/** A message as plain data (decoded records carry avsc constructors), for deepStrictEqual. */
export function plain(m: unknown): unknown {
  if (Buffer.isBuffer(m)) return m;
  if (Array.isArray(m)) return m.map(plain);
  if (m !== null && typeof m === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(m).sort()) out[k] = plain((m as Record<string, unknown>)[k]);
    return out;
  }
  return m;
}

export interface RawAnswer {
  readonly status: number;
  readonly body: string;
  /** RST_STREAM code when the server reset the stream, else 0. */
  readonly rstCode: number;
}

/**
 * One request on a fresh session, with whatever headers and body a test wants
 * to forge. With keepOpen the body is written but the request not ended, as a
 * peer's long-lived stream would be: the answer comes when the server closes it.
 */
export async function rawRequest(
  url: string,
  headers: Record<string, string>,
  body: Buffer | null = null,
  {
    keepOpen = false,
    clientOptions = {},
  }: { keepOpen?: boolean; clientOptions?: import('node:http2').SecureClientSessionOptions } = {},
): Promise<RawAnswer> {
  const http2 = await import('node:http2');
  const session = http2.connect(url, clientOptions);
  session.on('error', () => {});
  try {
    return await new Promise<RawAnswer>((resolve, reject) => {
      const stream = session.request(
        { ':method': 'POST', ...headers },
        { endStream: body === null && headers[':method'] === 'GET' },
      );
      let status = 0;
      let text = '';
      stream.setEncoding('utf8');
      stream.on('response', (h) => void (status = Number(h[':status'])));
      stream.on('data', (c: string) => void (text += c));
      stream.on('error', () => {});
      stream.on('close', () => resolve({ status, body: text, rstCode: stream.rstCode ?? 0 }));
      session.on('close', () => reject(new Error('session closed')));
      if (body !== null && keepOpen) stream.write(body);
      else if (body !== null) stream.end(body);
      else if (headers[':method'] !== 'GET') stream.end();
    });
  } finally {
    session.destroy();
  }
}
