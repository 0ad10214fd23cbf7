// Runs inside private network and pid namespaces (see namespace.ts): three
// kvd members from dist/, each under its own uid, under a write load, while
// the current leader is cut off from the other two for 8 s and healed, three
// times. Prints one JSON line (ChaosReport).
//
// The partition. On loopback every member is 127.0.0.1 and dials from an
// ephemeral port, so addresses and ports cannot tell a member's connections
// apart. Its uid can: mangle OUTPUT marks each new connection (conntrack
// CONNMARK) with the number of the member that opened it, from the owner of
// the socket that sent the SYN. A cut between members a and b then drops, on
// OUTPUT, every packet (either direction: on loopback both pass OUTPUT) of a
// connection marked a whose original destination port is b's peer port, and
// of one marked b towards a's peer port: both sessions of the pair, both
// ways, from the first SYN on. Client connections (the driver, uid 0) carry
// no mark and are never cut.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kvdBin, START_UP_MS } from '../support/procs.js';
import { first } from '../support/pick.js';

const CYCLES = 3;
const PARTITION_MS = 8000;
/** How long after a heal every member must have taken a write (asserted by the test; measured here up to PROBE_LIMIT_MS). */
const PROBE_LIMIT_MS = 15_000;
const CHAIN = 'KVD_PARTITION';

export interface CycleReport {
  readonly isolated: string;
  /** The leader the other two had elected by the end of the partition ('' if none). */
  readonly leaderDuringPartition: string;
  /** Per member: ms from the heal until a write through it succeeded (null: not within PROBE_LIMIT_MS). */
  readonly writeAfterHealMs: Record<string, number | null>;
}

export interface ChaosReport {
  readonly cycles: CycleReport[];
  readonly acknowledged: number;
  /** Acknowledged writes not readable, or read with another value, at the end (at most 20 shown). */
  readonly lost: string[];
  /** Members that exited during the run, with their exit code. */
  readonly exited: Record<string, number | string>;
  /** Log lines at error level or above, and anything else on stderr (at most 20 shown). */
  readonly errors: string[];
  /** Why the scenario stopped short, or null. */
  readonly failure: string | null;
}

interface Member {
  readonly name: string;
  readonly mark: number;
  readonly uid: number;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  proc: ChildProcess | null;
  exit: number | string | null;
  readonly errors: string[];
}

const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function request(
  method: string,
  url: string,
  body: string | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        timeout: timeoutMs,
        headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

const clientURL = (m: Member) => `http://127.0.0.1:${m.clientPort}`;
const peerURL = (m: Member) => `http://127.0.0.1:${m.peerPort}`;

async function put(m: Member, key: string, value: string, timeoutMs: number): Promise<boolean> {
  try {
    const r = await request('PUT', `${clientURL(m)}/v2/keys/chaos/${key}`, `value=${value}`, timeoutMs);
    return r.status === 200 || r.status === 201;
  } catch {
    return false;
  }
}

async function leaderOf(m: Member): Promise<{ id: string; leader: string } | null> {
  try {
    const r = await request('GET', `${clientURL(m)}/v2/stats/self`, undefined, 1000);
    const s = JSON.parse(r.body) as { id: string; leaderInfo: { leader: string } };
    return { id: s.id, leader: s.leaderInfo.leader };
  } catch {
    return null;
  }
}

/** Waits (bounded) until every member names the same leader; returns it with the member ids. */
async function agreedLeader(
  members: readonly Member[],
  ms: number,
): Promise<{ leader: Member; ids: Map<Member, string> }> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const views = await Promise.all(members.map(leaderOf));
    const leader = views[0]?.leader ?? '';
    if (leader !== '' && views.every((v) => v !== null && v.leader === leader)) {
      const ids = new Map(members.map((m, i) => [m, views[i]!.id]));
      const who = members.find((m) => ids.get(m) === leader);
      if (who !== undefined) return { leader: who, ids };
    }
    await sleep(100);
  }
  throw new Error(`members did not agree on a leader within ${ms} ms`);
}

function cut(a: Member, b: Member): void {
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    sh(
      'iptables',
      '-A',
      CHAIN,
      '-p',
      'tcp',
      '-m',
      'connmark',
      '--mark',
      String(from.mark),
      '-m',
      'conntrack',
      '--ctorigdstport',
      String(to.peerPort),
      '-j',
      'DROP',
    );
  }
}

const heal = () => sh('iptables', '-F', CHAIN);

function start(m: Member, initialCluster: string): void {
  const args = [
    kvdBin,
    '--name',
    m.name,
    '--data-dir',
    m.dataDir,
    '--listen-client-urls',
    clientURL(m),
    '--advertise-client-urls',
    clientURL(m),
    '--listen-peer-urls',
    peerURL(m),
    '--initial-advertise-peer-urls',
    peerURL(m),
    '--initial-cluster',
    initialCluster,
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    'kvd-chaos',
  ];
  const p = spawn(process.execPath, args, { uid: m.uid, gid: m.uid, stdio: ['ignore', 'ignore', 'pipe'] });
  let partial = '';
  p.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (m.errors.length >= 20) break;
      try {
        if ((JSON.parse(line) as { level: number }).level >= 50) m.errors.push(`${m.name}: ${line}`);
      } catch {
        m.errors.push(`${m.name}: ${line}`);
      }
    }
  });
  p.on('exit', (code, signal) => {
    if (m.proc === p) m.exit = code ?? signal ?? 'unknown';
  });
  m.proc = p;
}

/** A writer through one member: unique keys, one request at a time; records what was acknowledged. */
function writer(m: Member, acked: Map<string, string>, stop: { stopped: boolean }): Promise<void> {
  return (async () => {
    for (let n = 0; !stop.stopped; n++) {
      const key = `${m.name}-${n}`;
      if (await put(m, key, String(n), 2000)) acked.set(key, String(n));
      else await sleep(50);
      await sleep(20);
    }
  })();
}

/** Ms from now until a write through m succeeds, or null after PROBE_LIMIT_MS. */
async function firstWrite(m: Member, cycle: number, acked: Map<string, string>): Promise<number | null> {
  const started = Date.now();
  for (let attempt = 0; Date.now() - started < PROBE_LIMIT_MS; attempt++) {
    const key = `probe-${cycle}-${m.name}-${attempt}`;
    if (await put(m, key, 'probe', 1000)) {
      acked.set(key, 'probe');
      return Date.now() - started;
    }
    await sleep(50);
  }
  return null;
}

async function readAll(m: Member): Promise<Map<string, string>> {
  const r = await request('GET', `${clientURL(m)}/v2/keys/chaos?recursive=true&quorum=true`, undefined, 20_000);
  const nodes = (JSON.parse(r.body) as { node: { nodes?: Array<{ key: string; value: string }> } }).node.nodes ?? [];
  return new Map(nodes.map((n) => [n.key.slice('/chaos/'.length), n.value]));
}

async function main(): Promise<ChaosReport> {
  sh('ip', 'link', 'set', 'lo', 'up');
  const root = mkdtempSync(join(tmpdir(), 'kvd-chaos-'));
  chmodSync(root, 0o755);
  const members: Member[] = [1, 2, 3].map((i) => ({
    name: `m${i}`,
    mark: i,
    uid: 40_000 + i,
    clientPort: 10_079 + i * 1000,
    peerPort: 10_080 + i * 1000,
    dataDir: join(root, `m${i}`),
    proc: null,
    exit: null,
    errors: [],
  }));
  for (const m of members) {
    sh(
      'iptables',
      '-t',
      'mangle',
      '-A',
      'OUTPUT',
      '-m',
      'owner',
      '--uid-owner',
      String(m.uid),
      '-m',
      'conntrack',
      '--ctstate',
      'NEW',
      '-j',
      'CONNMARK',
      '--set-mark',
      String(m.mark),
    );
  }
  sh('iptables', '-N', CHAIN);
  sh('iptables', '-A', 'OUTPUT', '-j', CHAIN);
  try {
    for (const m of members) {
      mkdirSync(m.dataDir);
      chownSync(m.dataDir, m.uid, m.uid);
    }
    const initialCluster = members.map((m) => `${m.name}=${peerURL(m)}`).join(',');
    for (const m of members) start(m, initialCluster);
    await agreedLeader(members, START_UP_MS);

    const acked = new Map<string, string>();
    const stop = { stopped: false };
    const writers = members.map((m) => writer(m, acked, stop));
    const cycles: CycleReport[] = [];
    let failure: string | null = null;
    try {
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        const { leader: isolated, ids } = await agreedLeader(members, START_UP_MS);
        const others = members.filter((m) => m !== isolated);
        for (const o of others) cut(isolated, o);
        await sleep(PARTITION_MS);
        const view = await leaderOf(first(others));
        heal();
        const probes = await Promise.all(
          members.map(async (m) => [m.name, await firstWrite(m, cycle, acked)] as const),
        );
        cycles.push({
          isolated: isolated.name,
          leaderDuringPartition: members.find((m) => ids.get(m) === view?.leader)?.name ?? '',
          writeAfterHealMs: Object.fromEntries(probes),
        });
      }
    } catch (err) {
      failure = `cycle ${cycles.length + 1}: ${(err as Error).message}`;
    }
    stop.stopped = true;
    await Promise.all(writers);

    const lost: string[] = [];
    try {
      await agreedLeader(members, START_UP_MS);
      for (const m of members) {
        const stored = await readAll(m);
        for (const [key, value] of acked) {
          if (stored.get(key) !== value && lost.length < 20)
            lost.push(`${key} on ${m.name}: ${stored.get(key) ?? 'missing'}`);
        }
      }
    } catch (err) {
      failure ??= `reading back: ${(err as Error).message}`;
    }
    const exited: Record<string, number | string> = {};
    for (const m of members) if (m.exit !== null) exited[m.name] = m.exit;
    return {
      cycles,
      acknowledged: acked.size,
      lost,
      exited,
      errors: members.flatMap((m) => m.errors).slice(0, 20),
      failure,
    };
  } finally {
    for (const m of members) m.proc?.kill('SIGKILL');
    await Promise.all(
      members.map(
        (m) => new Promise((r) => (m.proc === null || m.proc.exitCode !== null ? r(null) : m.proc.once('exit', r))),
      ),
    );
    agent.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}

const report = await main();
process.stdout.write(`${JSON.stringify(report)}\n`);
