// The real etcd 3.4 (Debian's etcd-server, which .ci/run installs) as a
// one-member cluster with the v2 API, for differential tests: the same
// requests go to it and to kvd, and the answers must match.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort, httpRequest, sleep, START_UP_MS, tempDir } from './procs.js';

export const hasEtcd =
  spawnSync('etcd', ['--version'], { encoding: 'utf8' }).stdout?.includes('etcd Version: 3.4') ?? false;

export const etcdSkip = hasEtcd ? false : 'etcd 3.4 (Debian etcd-server) is not installed; .ci/run installs it';

export class EtcdProcess {
  proc: ChildProcess | null = null;
  stderr = '';
  readonly clientURL: string;

  private constructor(
    readonly clientPort: number,
    private readonly args: string[],
  ) {
    this.clientURL = `http://127.0.0.1:${clientPort}`;
  }

  /** Starts etcd in a temporary directory; it is killed when the test ends. */
  static async start(t: TestContext, extra: string[] = []): Promise<EtcdProcess> {
    const dir = tempDir(t, 'kvd-etcd-');
    const clientPort = await freePort();
    const peerPort = await freePort();
    const e = new EtcdProcess(clientPort, [
      '--name',
      'etcd',
      '--data-dir',
      join(dir, 'etcd.data'),
      '--enable-v2',
      '--listen-client-urls',
      `http://127.0.0.1:${clientPort}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${clientPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-cluster',
      `etcd=http://127.0.0.1:${peerPort}`,
      ...extra,
    ]);
    t.after(() => e.kill());
    process.once('exit', () => e.proc?.kill('SIGKILL'));
    e.proc = spawn('etcd', e.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    e.proc.stderr!.setEncoding('utf8');
    e.proc.stderr!.on('data', (c: string) => {
      if (e.stderr.length < 1 << 20) e.stderr += c;
    });
    await e.waitReady();
    return e;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + START_UP_MS;
    while (Date.now() < deadline) {
      if (this.proc?.exitCode !== null) throw new Error(`etcd exited:\n${this.stderr.slice(-4000)}`);
      if (await this.healthy()) return;
      await sleep(100);
    }
    throw new Error(`etcd not ready within ${START_UP_MS} ms:\n${this.stderr.slice(-4000)}`);
  }

  private async healthy(): Promise<boolean> {
    try {
      return (await httpRequest('GET', `${this.clientURL}/health`, undefined, 1000)).status === 200;
    } catch {
      return false;
    }
  }

  kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }
}
