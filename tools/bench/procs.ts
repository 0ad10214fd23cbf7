// Every process the benchmark starts goes through here, so that all of them
// are killed when it ends: normally, on an error, or on Ctrl-C / SIGTERM.

import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';

const children = new Set<ChildProcess>();
const cleanups: Array<() => void> = [];

function killAll(): void {
  for (const p of children) {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
  children.clear();
  for (const f of cleanups.splice(0)) {
    try {
      f();
    } catch {
      // best effort: the process is ending
    }
  }
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping every benchmark process`);
    killAll();
    process.exit(130);
  });
}

/** Runs `f` when the benchmark ends, however it ends (e.g. removing its temp dir). */
export function atExit(f: () => void): void {
  cleanups.push(f);
}

export function track(p: ChildProcess): ChildProcess {
  children.add(p);
  p.once('exit', () => children.delete(p));
  return p;
}

/** Spawns a long-running process whose stdout and stderr go to `logFile`. */
export function spawnLogged(cmd: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    return track(spawn(cmd, args, { stdio: ['ignore', fd, fd] }));
  } finally {
    closeSync(fd);
  }
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion, killing it when it overruns `timeoutMs`. */
export function run(cmd: string, args: string[], timeoutMs: number, opts: SpawnOptions = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const p = track(spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    p.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    p.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${cmd} did not finish within ${Math.round(timeoutMs / 1000)} s: killed`));
    }, timeoutMs);
    p.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** True when `cmd` is on the PATH and runs (`versionArg` is any argument that makes it exit at once). */
export function installed(cmd: string, versionArg: string): boolean {
  return spawnSync(cmd, [versionArg], { stdio: 'ignore', timeout: 10_000 }).error === undefined;
}

export function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]!.trim();
}

/** CPU seconds (user + system, all threads) the processes have used so far, from /proc. */
export function cpuSeconds(procs: readonly ChildProcess[]): number {
  let ticks = 0;
  for (const p of procs) {
    // Fields after the command name, which may itself contain spaces: utime is the 14th field, stime the 15th.
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / clockTicks();
}

/**
 * CPU seconds (user + system) the processes' main threads have used so far:
 * the thread that runs a member's event loop, without its worker threads and
 * libuv's pool (/proc/PID/task/PID is the main thread).
 */
export function mainThreadCpuSeconds(procs: readonly ChildProcess[]): number {
  let ticks = 0;
  for (const p of procs) {
    const stat = readFileSync(`/proc/${p.pid}/task/${p.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / clockTicks();
}

let ticksPerSecond = 0;
function clockTicks(): number {
  if (ticksPerSecond === 0) ticksPerSecond = Number(firstLine('getconf', ['CLK_TCK'])) || 100;
  return ticksPerSecond;
}

const handedOut = new Set<number>();

/**
 * A port on 127.0.0.1 for a member to bind later: random below the kernel's
 * ephemeral range (32768+), so outgoing connections do not take it first,
 * never 22379/22380 (where etcd runs as the API's reference), never twice.
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
    if (ok) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port on 127.0.0.1 found in 100 attempts');
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
