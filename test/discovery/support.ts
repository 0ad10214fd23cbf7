// Fixtures for discovery tests: a kvd member whose keyspace holds discovery
// tokens (the "manual way": any etcd v2 store can), a log sink, and a tiny
// DNS server answering SRV and A questions on loopback.

import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import dnsPacket from 'dns-packet';
import { pino, type Logger } from 'pino';
import { freePort, httpRequest, MemberProcess, memberArgs, waitReady } from '../support/procs.js';

/**
 * One keyspace member for every test of the calling suite (each test uses
 * its own token): started before the first test, killed after the last.
 */
export function sharedKeyspace(): () => MemberProcess {
  let ks: MemberProcess | null = null;
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvd-keyspace-'));
    const spec = {
      name: 'registry',
      clientPort: await freePort(),
      peerPort: await freePort(),
      dataDir: join(dir, 'registry.kvd'),
    };
    ks = new MemberProcess(spec, memberArgs(spec, `registry=http://127.0.0.1:${spec.peerPort}`, 'new'));
    ks.start();
    await waitReady(ks);
  });
  after(async () => {
    await ks?.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (ks === null) throw new Error('the shared keyspace is not started');
    return ks;
  };
}

let tokens = 0;

/** A new discovery token for `size` members in the keyspace at clientURL; returns its discovery URL. */
export async function newToken(clientURL: string, size: number | string): Promise<string> {
  const url = `${clientURL}/v2/keys/_etcd/registry/token${++tokens}-${process.pid}`;
  const r = await httpRequest('PUT', `${url}/_config/size`, `value=${size}`);
  if (r.status !== 201) throw new Error(`cannot create token: ${r.status} ${r.body}`);
  return url;
}

/** Registers a member the way etcd does (prevExist=false). */
export async function register(url: string, id: string, value: string): Promise<void> {
  const r = await httpRequest('PUT', `${url}/${id}?prevExist=false`, `value=${encodeURIComponent(value)}`);
  if (r.status !== 201) throw new Error(`cannot register ${id}: ${r.status} ${r.body}`);
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A pino logger whose lines are kept (parsed) for assertions. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

export interface SrvRecordSpec {
  readonly target: string;
  readonly port: number;
}

/**
 * A DNS server on 127.0.0.1 (UDP) that answers SRV questions from `srv`
 * (name → records) and A questions from `a` (name → IPv4 addresses); any
 * other question gets NXDOMAIN. Closed when the test ends.
 */
export async function startDnsServer(
  t: TestContext,
  zone: { srv: Record<string, readonly SrvRecordSpec[]>; a: Record<string, readonly string[]> },
): Promise<string> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, peer) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const answers: dnsPacket.Answer[] = [];
    for (const q of query.questions ?? []) {
      const name = q.name.toLowerCase();
      if (q.type === 'SRV') {
        for (const r of zone.srv[name] ?? [])
          answers.push({
            type: 'SRV',
            name: q.name,
            ttl: 5,
            data: { priority: 0, weight: 0, port: r.port, target: r.target },
          });
      } else if (q.type === 'A') {
        for (const ip of zone.a[name] ?? []) answers.push({ type: 'A', name: q.name, ttl: 5, data: ip });
      }
    }
    const known = (query.questions ?? []).some(
      (q) => q.name.toLowerCase() in zone.srv || q.name.toLowerCase() in zone.a,
    );
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: query.questions,
      answers,
    });
    socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return `127.0.0.1:${socket.address().port}`;
}
