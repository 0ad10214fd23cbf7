// Runs a driver script inside a private network namespace (and a private pid
// namespace, so every process the driver starts dies with it), where it may
// bring lo up and add iptables rules without touching the machine's network.
// A node:test process cannot enter a namespace itself, hence the driver.

import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;

let probed: string | null | undefined;

/** Why namespaced tests cannot run here (not root, no unshare, no iptables), or null when they can. */
export function namespaceUnavailable(): string | null {
  if (probed !== undefined) return probed;
  probed = probe();
  return probed;
}

function probe(): string | null {
  if (process.platform !== 'linux') return `needs Linux network namespaces, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'needs root (unshare -n and iptables)';
  // The rules the drivers use, tried once: this checks the kernel's owner, connmark and conntrack matches too.
  const script = [
    'ip link set lo up',
    'iptables -A INPUT -p tcp --dport 1 --syn -j DROP',
    'iptables -t mangle -A OUTPUT -m owner --uid-owner 40001 -m conntrack --ctstate NEW -j CONNMARK --set-mark 1',
    'iptables -A OUTPUT -p tcp -m connmark --mark 1 -m conntrack --ctorigdstport 1 -j DROP',
  ].join(' && ');
  const r = spawnSync('unshare', ['--net', '--pid', '--fork', '--kill-child', '--', 'sh', '-c', script], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.error) return `cannot run unshare: ${r.error.message}`;
  if (r.status !== 0)
    return `unshare -n with ip and iptables (owner, connmark, conntrack) does not work here: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0]}`;
  return null;
}

export interface DriverResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The last stdout line parsed as JSON, or null. */
  readonly report: any;
}

/**
 * Runs test/chaos/<driver> (TypeScript, under tsx) in fresh network and pid
 * namespaces; killed (with everything it started) when the test ends or after timeoutMs.
 */
export function runDriver(
  t: TestContext,
  driver: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<DriverResult> {
  const child = spawn(
    'unshare',
    [
      '--net',
      '--pid',
      '--fork',
      '--kill-child',
      '--',
      process.execPath,
      '--import',
      'tsx',
      join(root, 'test/chaos', driver),
      ...args,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => void (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    if (stderr.length < 4 << 20) stderr += c;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  t.after(() => {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      let report: unknown = null;
      try {
        report = JSON.parse(last);
      } catch {
        report = null;
      }
      resolve({ code, signal, stdout, stderr, report });
    });
  });
}
