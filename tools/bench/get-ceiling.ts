// node --import tsx tools/bench/get-ceiling.ts [--connections 64] [--duration 4] [--rounds 2]
//
// The ceiling of the local GET load for one Node process on this machine:
// wrk with the benchmark's GET script (same threads, connections, paths)
// against tools/bench/get-ceiling-server (dist/ must be built), which answers
// every request with the bytes kvd sends for a preloaded key and does nothing
// else. `raw` skips Node's HTTP parser and response objects; `http` is
// node:http answering as kvd's Http1Exchange does. Compare with kvd's and
// etcd's rates from `npm run bench -- --loads get` in the same quiet spell.

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { cac } from 'cac';
import { READ_PREFIX } from './loads.js';
import { atExit, cpuSeconds, freePort, removeDir, run, track } from './procs.js';
import { parseWrk, wrkScript } from './wrk.js';

const root = new URL('../..', import.meta.url).pathname.replace(/\/dist\/$/, '/');
const serverJs = join(root, 'dist/tools/bench/get-ceiling-server.js');

const cli = cac('node --import tsx tools/bench/get-ceiling.ts');
cli.option('--connections <n>', 'wrk connections', { default: '64' });
cli.option('--wrk-threads <n>', 'wrk threads', { default: '2' });
cli.option('--duration <s>', 'seconds per load', { default: '4' });
cli.option('--rounds <n>', 'rounds per server kind; the median is printed', { default: '2' });
cli.option('--kinds <list>', 'raw,http', { default: 'raw,http' });
cli.help();
const args = cli.parse().options as Record<string, string>;
if (args['help'] === undefined) await main();

async function main(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'kvd-get-ceiling-'));
  atExit(() => removeDir(dir));
  const script = join(dir, 'get.lua');
  writeFileSync(script, wrkScript({ kind: 'get', prefix: `/v2/keys${READ_PREFIX}`, count: 1000, query: '' }));
  const rounds = Number(args['rounds']);
  for (const kind of String(args['kinds']).split(',')) {
    const rates: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const port = await freePort();
      const server = track(
        spawn(process.execPath, [serverJs, kind, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] }),
      );
      await new Promise<void>((resolve, reject) => {
        server.stdout?.once('data', () => resolve());
        server.once('exit', (code) => reject(new Error(`the ${kind} server exited with ${code}`)));
      });
      const before = cpuSeconds([server]);
      const wrk = await run(
        'wrk',
        [
          '-t',
          String(args['wrkThreads']),
          '-c',
          String(args['connections']),
          '-d',
          `${args['duration']}s`,
          '-s',
          script,
          `http://127.0.0.1:${port}`,
        ],
        (Number(args['duration']) + 60) * 1000,
      );
      const used = cpuSeconds([server]) - before;
      server.kill('SIGKILL');
      if (wrk.code !== 0) throw new Error(`wrk exited with ${wrk.code}: ${wrk.stderr}${wrk.stdout}`);
      const f = parseWrk(wrk.stdout);
      rates.push(f.rate);
      cpu.push(used / f.seconds);
      console.log(
        `${kind} round ${r + 1}: ${Math.round(f.rate)} req/s, server CPU ${(used / f.seconds).toFixed(2)} cores, p50 ${f.latencyMs.p50} ms`,
      );
    }
    console.log(`${kind}: median ${Math.round(median(rates))} req/s, server CPU ${median(cpu).toFixed(2)} cores`);
  }
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
