// What the kvctl tests share: a real kvd cluster to talk to, running kvctl
// in-process, running the real etcdctl for comparison, and unique key prefixes.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Readable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort, MemberProcess, memberArgs, START_UP_MS, waitReady } from '../support/procs.js';

import { main } from '../../cmd/kvctl.js';

export interface TestServer {
  /** Client URL, e.g. http://127.0.0.1:22379. */
  readonly endpoint: string;
  /** True when the tests may change cluster membership (a server nobody else uses). */
  readonly owned: boolean;
  stop(): Promise<void>;
}

/**
 * A fresh kvd cluster of `members` real processes (dist/, built by npm test)
 * that only this test file uses; stop() kills them and removes their data.
 */
export async function startServer(members = 1): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kvctl-test-'));
  const specs = [];
  for (let i = 1; i <= members; i++) {
    specs.push({
      name: `k${i}`,
      clientPort: await freePort(),
      peerPort: await freePort(),
      dataDir: join(dir, `k${i}`),
    });
  }
  const initial = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');
  const procs = specs.map((s) => new MemberProcess(s, memberArgs(s, initial, 'new')));
  const stop = async () => {
    await Promise.all(procs.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => procs.forEach((p) => p.proc?.kill('SIGKILL')));
  for (const p of procs) p.start();
  try {
    await Promise.all(procs.map((p) => waitReady(p)));
    // Members announce their client URLs through the log once a leader exists: wait until all have.
    await eventually(
      async () => {
        const res = await fetch(`${procs[0]!.clientURL}/v2/members`);
        const { members: listed } = (await res.json()) as { members: { clientURLs: string[] }[] };
        return listed.length === members && listed.every((m) => m.clientURLs.length > 0);
      },
      START_UP_MS,
      'every member to publish its client URLs',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint: procs[0]!.clientURL, owned: true, stop };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly stdin?: string;
  readonly signal?: AbortSignal;
  /** Called with all of stdout so far after each write. */
  readonly onStdout?: (stdout: string) => void;
}

/** Runs kvctl in-process with a clean environment (no ETCDCTL_* leaks in from the machine). */
export async function kvctl(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const decode = (c: string | Uint8Array): string => (typeof c === 'string' ? c : Buffer.from(c).toString('utf8'));
  const code = await main(argv, {
    stdout: {
      write: (c) => {
        stdout += decode(c);
        opts.onStdout?.(stdout);
      },
    },
    stderr: { write: (c) => (stderr += decode(c)) },
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...opts.env },
    ...(opts.stdin !== undefined && { stdin: Readable.from([Buffer.from(opts.stdin)]) }),
    ...(opts.signal && { signal: opts.signal }),
  });
  return { code, stdout, stderr };
}

/** kvctl against one endpoint without syncing, the usual shape of a test call. */
export function kvctlAt(endpoint: string, argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  return kvctl(['--endpoints', endpoint, ...argv], opts);
}

/**
 * Runs a kvctl command that does not end by itself (watch --forever,
 * exec-watch) until its stdout satisfies `enough`, then interrupts it as
 * Ctrl+C does. Interrupted after `ms` regardless, so a test that waits for
 * output that never comes fails on what was printed.
 */
export async function kvctlUntil(
  endpoint: string,
  argv: string[],
  enough: (stdout: string) => boolean,
  ms = 10_000,
): Promise<RunResult> {
  const interrupt = new AbortController();
  const limit = setTimeout(() => interrupt.abort(), ms);
  try {
    return await kvctlAt(endpoint, argv, {
      signal: interrupt.signal,
      onStdout: (stdout) => {
        if (enough(stdout)) interrupt.abort();
      },
    });
  } finally {
    clearTimeout(limit);
  }
}

export const etcdctlAvailable =
  spawnSync('etcdctl', ['--version'], { env: { ...process.env, ETCDCTL_API: '2' } }).status === 0;

/** Runs the real etcdctl v2 (when installed) for a byte-for-byte comparison. */
export function etcdctl(argv: string[], opts: { stdin?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('etcdctl', argv, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ETCDCTL_API: '2' } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** A key prefix of the test's own: /kvctl-test-<random>. */
export function uniquePrefix(): string {
  return `/kvctl-test-${randomBytes(6).toString('hex')}`;
}

/** Removes a test's prefix (best effort, the server may already be gone). */
export async function removePrefix(endpoint: string, prefix: string): Promise<void> {
  await fetch(`${endpoint}/v2/keys${prefix}?recursive=true&dir=true`, {
    method: 'DELETE',
    signal: AbortSignal.timeout(2000),
  }).catch(() => undefined);
}

/** A port on 127.0.0.1 with nothing listening (connections are refused). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A server on 127.0.0.1 that accepts connections and never answers. */
export async function silentServer(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** Normalises a run for comparing kvctl with etcdctl: program name, the two key prefixes, and store indexes. */
export function normalise(r: RunResult, prefix: string): RunResult {
  const n = (s: string): string =>
    s
      .split(prefix)
      .join('<P>')
      .replace(/etcdctl/g, 'kvctl')
      .replace(/("createdIndex":|"modifiedIndex":|Index: |\[)\d+/g, '$1<N>')
      .replace(/\/\d{20}\b/g, '/<SEQ>')
      .replace(/"expiration":"[^"]*"/g, '"expiration":"<T>"');
  return { code: r.code, stdout: n(r.stdout), stderr: n(r.stderr) };
}
