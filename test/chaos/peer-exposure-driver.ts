// Runs inside a private network namespace (see namespace.ts), where binding
// every address exposes nothing: a transport listening on plain HTTP on
// 0.0.0.0 and one on 127.0.0.1. Prints one JSON line: the warnings of each.

import { execFileSync } from 'node:child_process';
import { A, B, startNode } from '../transport/helpers.js';

execFileSync('ip', ['link', 'set', 'lo', 'up']);
const warnings: Record<string, string[]> = {};
for (const url of ['http://0.0.0.0:0', 'http://[::]:0', 'http://127.0.0.1:0']) {
  const n = await startNode(A, [A, B], { url });
  warnings[url] = n.lines.filter((l) => l.level === 40).map((l) => l.msg);
  await n.transport.close();
}
process.stdout.write(`${JSON.stringify(warnings)}\n`);
