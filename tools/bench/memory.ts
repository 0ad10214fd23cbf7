// node --import tsx tools/bench/memory.ts [keys] [--only kvd|etcd]
//
// Memory per key of a member loaded through the v2 API, kvd next to etcd 3.4:
// a one-member cluster of each on fresh data dirs (dist/ must be built),
// `keys` PUTs of 256-byte values under /mem/d<i % 1000>/k<i> (16 at a time),
// then the member's RSS (from /proc) before and after, per key. The member's
// snapshot-count is each system's default, as a user runs it.

import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { Cluster, type System } from './cluster.js';
import { atExit, removeDir, run } from './procs.js';

const root = new URL('../..', import.meta.url).pathname.replace(/\/dist\/$/, '/');
const keys = Number(process.argv[2] ?? 100_000);
const onlyAt = process.argv.indexOf('--only');
const systems: System[] = onlyAt > 0 ? [process.argv[onlyAt + 1] as System] : ['kvd', 'etcd'];

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

async function load(baseURL: string, n: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const body = `value=${'v'.repeat(250)}`;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await new Promise<void>((resolve, reject) => {
        const req = http.request(
          `${baseURL}/v2/keys/mem/d${i % 1000}/k${i}`,
          { method: 'PUT', agent, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
          (res) => {
            res.resume();
            res.on('end', () => (res.statusCode! < 300 ? resolve() : reject(new Error(`PUT: ${res.statusCode}`))));
          },
        );
        req.on('error', reject);
        req.end(`${body}${String(i).padStart(6, '0')}`);
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  agent.destroy();
}

const work = mkdtempSync(join(os.tmpdir(), 'kvd-memory-'));
atExit(() => removeDir(work));
const r = await run(join(root, 'tools/make-certs.sh'), [join(work, 'certs'), '1'], 60_000);
if (r.code !== 0) throw new Error(`tools/make-certs.sh failed: ${r.stderr}`);
for (const system of systems) {
  const cluster = await Cluster.start(system, 1, join(work, system), {
    certFile: join(work, 'certs/server.pem'),
    keyFile: join(work, 'certs/server-key.pem'),
  });
  try {
    const m = await cluster.leader();
    await new Promise((res) => setTimeout(res, 1000));
    const before = rssBytes(m.proc.pid!);
    const t0 = Date.now();
    await load(m.clientURL, keys);
    const seconds = (Date.now() - t0) / 1000;
    // Let a pending snapshot and the GC settle.
    await new Promise((res) => setTimeout(res, 5000));
    const after = rssBytes(m.proc.pid!);
    console.log(
      JSON.stringify({
        system,
        keys,
        seconds,
        rssBeforeMB: Math.round(before / 1e6),
        rssAfterMB: Math.round(after / 1e6),
        rssBytesPerKey: Math.round((after - before) / keys),
        loadAverage: os.loadavg()[0],
      }),
    );
  } finally {
    cluster.stop();
  }
}
process.exit(0);
