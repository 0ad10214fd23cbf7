// Real kvd member processes for tests: started from dist/ (npm test builds
// first), on 127.0.0.1 ports the OS says are free, killed when the test ends.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
export const kvdBin = join(root, 'dist/cmd/kvd.js');

/**
 * How long a member, etcd, or a cluster's agreed leader may take to come up.
 * Every start-up wait uses it: a limit, not a sleep (a fast machine pays
 * nothing), set for a loaded CI machine where a start can take many seconds.
 */
export const START_UP_MS = 60_000;

const handedOut = new Set<number>();

// Test files run in parallel processes, each picking ports at random: two of
// them could pick the same free port before either member binds it. A claim
// file per port, made exclusively, settles that across processes; a claim
// whose process is gone is taken over.
const claimDir = join(tmpdir(), 'kvd-test-ports');
mkdirSync(claimDir, { recursive: true });
process.once('exit', () => {
  for (const port of handedOut) rmSync(join(claimDir, String(port)), { force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function createClaim(file: string): boolean {
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

function claim(port: number): boolean {
  const file = join(claimDir, String(port));
  if (createClaim(file)) return true;
  let owner: number;
  try {
    owner = Number(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
  // An empty file is a claim being written right now; only a dead owner's claim is taken over.
  if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) return false;
  rmSync(file, { force: true });
  return createClaim(file);
}

/**
 * A port for a member to bind later. Taken at random below the kernel's
 * ephemeral range (32768+), where outgoing connections would otherwise grab
 * it between this check and the member's bind, never twice per process and
 * never by two test processes at once (claim files).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (handedOut.has(port) || port === 22379 || port === 22380) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok && claim(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found in 100 attempts');
}

export function tempDir(t: TestContext, prefix = 'kvd-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface MemberSpec {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
}

export class MemberProcess {
  proc: ChildProcess | null = null;
  stderr = '';
  exitCode: number | null = null;
  readonly clientURL: string;
  readonly peerURL: string;

  constructor(
    readonly spec: MemberSpec,
    private readonly args: string[],
  ) {
    this.clientURL = `http://127.0.0.1:${spec.clientPort}`;
    this.peerURL = `http://127.0.0.1:${spec.peerPort}`;
  }

  start(extra: string[] = [], env: Record<string, string> = {}): void {
    this.stderr = '';
    this.exitCode = null;
    const p = spawn(process.execPath, [kvdBin, ...this.args, ...extra], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    p.stderr!.setEncoding('utf8');
    p.stderr!.on('data', (c: string) => {
      if (this.stderr.length < 1 << 20) this.stderr += c;
    });
    p.on('exit', (code, signal) => {
      this.exitCode = code ?? (signal ? 128 : null);
      if (this.proc === p) this.proc = null;
    });
    this.proc = p;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    if (!p) return Promise.resolve();
    return new Promise((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
  }

  /** Resolves once the process exited (bounded). */
  waitExit(ms = 10_000): Promise<number | null> {
    const p = this.proc;
    if (!p) return Promise.resolve(this.exitCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.spec.name} did not exit within ${ms} ms`)), ms);
      p.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(code ?? (signal ? 128 : null));
      });
    });
  }
}

/** Starts n members of a new cluster; all are killed when the test ends. */
export async function startCluster(t: TestContext, n: number, extraArgs: string[] = []): Promise<MemberProcess[]> {
  const dir = tempDir(t);
  const specs: MemberSpec[] = [];
  for (let i = 1; i <= n; i++) {
    specs.push({
      name: `m${i}`,
      clientPort: await freePort(),
      peerPort: await freePort(),
      dataDir: join(dir, `m${i}`),
    });
  }
  const initial = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');
  const members = specs.map((s) => new MemberProcess(s, memberArgs(s, initial, 'new', extraArgs)));
  t.after(() => Promise.all(members.map((m) => m.kill())));
  for (const m of members) m.start();
  await Promise.all(members.map((m) => waitReady(m)));
  return members;
}

export function memberArgs(
  s: MemberSpec,
  initialCluster: string,
  state: 'new' | 'existing',
  extra: string[] = [],
): string[] {
  return [
    '--name',
    s.name,
    '--data-dir',
    s.dataDir,
    '--listen-client-urls',
    `http://127.0.0.1:${s.clientPort}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${s.clientPort}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${s.peerPort}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${s.peerPort}`,
    '--initial-cluster',
    initialCluster,
    '--initial-cluster-state',
    state,
    '--initial-cluster-token',
    'kvd-test',
    '--heartbeat-interval',
    '50',
    '--election-timeout',
    '500',
    ...extra,
  ];
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

export function httpRequest(
  method: string,
  url: string,
  body?: string,
  timeoutMs = 10_000,
  contentType = 'application/x-www-form-urlencoded',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers: body !== undefined ? { 'content-type': contentType } : {}, timeout: timeoutMs },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => {
          let json: unknown = undefined;
          try {
            json = JSON.parse(data);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls until the member answers /health with a leader (bounded). */
export async function waitReady(m: MemberProcess, ms = START_UP_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (m.exitCode !== null) throw new Error(`${m.spec.name} exited with ${m.exitCode}:\n${m.stderr}`);
    try {
      const r = await httpRequest('GET', `${m.clientURL}/health`, undefined, 1000);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${m.spec.name} not ready within ${ms} ms:\n${m.stderr.slice(-4000)}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** p's value, or a failure naming `what` if p has not settled within ms. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface OpenWatch {
  readonly status: number;
  /** The body once the member ends the watch; rejects if the connection breaks instead. */
  readonly ended: Promise<string>;
}

/**
 * Opens a long poll (a `?wait=true` URL) and resolves once the member
 * registered it: a member sends the response head only then.
 */
export function openWatch(url: string, ms = 10_000): Promise<OpenWatch> {
  return within(
    new Promise<OpenWatch>((resolve, reject) => {
      const req = http.get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        const ended = new Promise<string>((end, broke) => {
          res.on('data', (c: string) => (body += c));
          res.on('end', () => end(body));
          res.on('close', () => {
            if (!res.complete) broke(new Error(`the watch ${url} broke off after ${JSON.stringify(body)}`));
          });
        });
        // Settled either way; a test that stops early must not leave an unhandled rejection behind.
        ended.catch(() => undefined);
        resolve({ status: res.statusCode ?? 0, ended });
      });
      req.on('error', reject);
    }),
    ms,
    `the watch ${url} to open`,
  );
}

/** Retries fn until it returns a truthy value (bounded). */
export async function eventually<T>(
  fn: () => Promise<T | null | undefined | false>,
  ms = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  let lastErr: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    await sleep(50);
  }
  throw new Error(`${what} not reached within ${ms} ms${lastErr ? `: ${String(lastErr)}` : ''}`);
}

/** The member that says it leads (members without a running process are skipped), within `ms`. */
export async function leaderOf(members: readonly MemberProcess[], ms = START_UP_MS): Promise<MemberProcess> {
  return eventually(
    async () => {
      for (const m of members) {
        if (!m.proc) continue;
        const r = await httpRequest('GET', `${m.clientURL}/v2/stats/self`, undefined, 1000).catch(() => null);
        if (r?.json?.state === 'StateLeader') return m;
      }
      return null;
    },
    ms,
    'a leader',
  );
}
