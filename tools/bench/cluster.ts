// A kvd or etcd cluster of the benchmark's shape: fresh data dirs, 127.0.0.1
// only, default snapshot-count, and each member listening on a plain HTTP
// client URL (for wrk) and a TLS one (for h2load) side by side.

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { cpuSeconds, freePort, mainThreadCpuSeconds, spawnLogged } from './procs.js';

export type System = 'kvd' | 'etcd';

export interface Certs {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface Member {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly clientURL: string;
  readonly tlsClientURL: string;
  readonly logFile: string;
}

const root = new URL('../..', import.meta.url).pathname.replace(/\/dist\/$/, '/');
const kvdBin = join(root, 'dist/cmd/kvd.js');

interface StatsSelf {
  readonly id: string;
  readonly state: string;
  readonly leaderInfo?: { readonly leader?: string };
}

export class Cluster {
  private constructor(
    readonly system: System,
    readonly members: readonly Member[],
  ) {}

  /** `nodeArgs` go to node before kvd's script (e.g. the profiler's --import), `extraArgs` to kvd; etcd ignores both. */
  static async start(
    system: System,
    size: number,
    dir: string,
    certs: Certs,
    nodeArgs: readonly string[] = [],
    extraArgs: readonly string[] = [],
  ): Promise<Cluster> {
    const specs = [];
    for (let i = 1; i <= size; i++) {
      specs.push({ name: `${system}${i}`, client: await freePort(), tls: await freePort(), peer: await freePort() });
    }
    const initial = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(',');
    const members = specs.map((s): Member => {
      const dataDir = join(dir, s.name);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const clientURLs = `http://127.0.0.1:${s.client},https://127.0.0.1:${s.tls}`;
      const args = [
        '--name',
        s.name,
        '--data-dir',
        dataDir,
        '--listen-client-urls',
        clientURLs,
        '--advertise-client-urls',
        clientURLs,
        '--listen-peer-urls',
        `http://127.0.0.1:${s.peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${s.peer}`,
        '--initial-cluster',
        initial,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        `bench-${system}`,
        '--cert-file',
        certs.certFile,
        '--key-file',
        certs.keyFile,
        '--log-level',
        'warn',
      ];
      const logFile = join(dir, `${s.name}.log`);
      const proc =
        system === 'kvd'
          ? spawnLogged(process.execPath, [...nodeArgs, kvdBin, ...args, ...extraArgs], logFile)
          : spawnLogged('etcd', ['--enable-v2', '--logger', 'zap', ...args], logFile);
      return {
        name: s.name,
        proc,
        clientURL: `http://127.0.0.1:${s.client}`,
        tlsClientURL: `https://127.0.0.1:${s.tls}`,
        logFile,
      };
    });
    return new Cluster(system, members);
  }

  /** Waits (bounded) until every member is up and all agree on one leader; returns it. */
  async leader(timeoutMs = 30_000): Promise<Member> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      this.checkAlive('starting');
      try {
        const stats = await Promise.all(this.members.map((m) => getJson<StatsSelf>(`${m.clientURL}/v2/stats/self`)));
        const leaders = new Set(stats.map((s) => s.leaderInfo?.leader ?? ''));
        const i = stats.findIndex((s) => s.state === 'StateLeader');
        if (i >= 0 && leaders.size === 1 && leaders.has(stats[i]!.id)) return this.members[i]!;
        last = `states ${stats.map((s) => s.state).join(', ')}`;
      } catch (err) {
        last = String(err);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.system}: no agreed leader within ${timeoutMs / 1000} s (${last})`);
  }

  /** The Raft term `member` is in (X-Raft-Term of a GET of `key`), or '' when it cannot say: a new term means an election. */
  async termSeenBy(member: Member, key: string): Promise<string> {
    return new Promise((resolve) => {
      const req = http.get(`${member.clientURL}/v2/keys${key}`, { timeout: 5000 }, (res) => {
        res.resume();
        resolve(String(res.headers['x-raft-term'] ?? ''));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(''));
    });
  }

  /** Throws, with the end of its log, when a member has exited. */
  checkAlive(during: string): void {
    for (const m of this.members) {
      const { exitCode, signalCode } = m.proc;
      if (exitCode !== null || signalCode !== null) {
        const tail = readFileSync(m.logFile, 'utf8').split('\n').slice(-20).join('\n');
        throw new Error(`${m.name} exited (${exitCode ?? signalCode}) while ${during}; end of ${m.logFile}:\n${tail}`);
      }
    }
  }

  cpuSeconds(): number {
    return cpuSeconds(this.members.map((m) => m.proc));
  }

  /** CPU seconds of the members' main threads (their event loops), all members. */
  mainThreadCpuSeconds(): number {
    return mainThreadCpuSeconds(this.members.map((m) => m.proc));
  }

  stop(): void {
    for (const m of this.members) m.proc.kill('SIGKILL');
  }
}

function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as T);
        } catch {
          reject(new Error(`${url}: ${res.statusCode} ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 2 s`)));
    req.on('error', reject);
  });
}

/**
 * Writes `count` keys under `prefix` with `value` (for the read loads),
 * `concurrency` requests at a time on keep-alive connections; throws on any non-2xx.
 */
export async function preload(
  baseURL: string,
  prefix: string,
  count: number,
  value: string,
  concurrency = 16,
): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const body = `value=${encodeURIComponent(value)}`;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await put(`${baseURL}/v2/keys${prefix}${i}`, body, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
}

function put(url: string, body: string, agent: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'PUT', agent, timeout: 10_000, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode! < 300 ? resolve() : reject(new Error(`PUT ${url}: ${res.statusCode}`))));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`PUT ${url}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}
