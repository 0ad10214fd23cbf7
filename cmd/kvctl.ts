#!/usr/bin/env node
// kvctl: the command-line client for kvd (and any etcd v2 API), a drop-in for etcdctl v2.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { type CtlIO, main as run } from '../lib/client/ctl/index.js';

export type { CtlIO };

/** Runs kvctl with argv (without the program name); resolves with the exit status. */
export function main(argv: string[], io: CtlIO): Promise<number> {
  return run(argv, io);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // Ctrl+C ends a watch with status 0, as etcdctl's does.
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  const code = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdin: process.stdin,
    signal: interrupt.signal,
  });
  process.exitCode = code;
}
