#!/usr/bin/env node
// segdump: the operator's view into a kvd member's write-ahead log and
// snapshots. `node --import tsx tools/segdump.ts --help`, or `segdump --help`
// once built.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run, type SegdumpIo } from './segdump/cli.js';

export type { SegdumpIo } from './segdump/cli.js';

const processIo: SegdumpIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
};

/** Runs segdump with the arguments after the program name; resolves to the exit status. */
export function main(argv: readonly string[], io: SegdumpIo = processIo): Promise<number> {
  return run(argv, io);
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return fs.realpathSync(script) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // `segdump dump ... | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`segdump: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
