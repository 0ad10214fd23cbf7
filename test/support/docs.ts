// Runs the shell steps of a document as written: in a directory laid out
// like the checkout (dist/ and config/ linked in), inside fresh network and
// pid namespaces, so the fixed ports a document uses cannot clash with
// anything else on the machine and every process it starts in the
// background ends with it.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;

/** The sh code blocks of `file` (relative to the checkout) under the heading `heading`, up to the next heading of its level or above. */
export function shellBlocks(file: string, heading: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const level = /^#+/.exec(heading)![0].length;
  const start = text.split('\n').findIndex((l) => l === heading);
  if (start === -1) throw new Error(`${file} has no heading ${JSON.stringify(heading)}`);
  const lines = text.split('\n').slice(start + 1);
  let fenced = false;
  const end = lines.findIndex((l) => {
    if (l.startsWith('```')) fenced = !fenced;
    const m = /^(#+) /.exec(l);
    return !fenced && m !== null && m[1]!.length <= level;
  });
  const section = (end === -1 ? lines : lines.slice(0, end)).join('\n');
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

export interface ScriptRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The directory the script ran in (removed when the test ends). */
  readonly dir: string;
}

/** Runs `script` with bash (-euo pipefail) in the namespaces; killed with everything it started after `timeoutMs`. */
export function runInSandbox(t: TestContext, script: string, timeoutMs = 90_000): Promise<ScriptRun> {
  const dir = mkdtempSync(join(tmpdir(), 'kvd-doc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync(join(root, 'dist'), join(dir, 'dist'));
  symlinkSync(join(root, 'config'), join(dir, 'config'));
  writeFileSync(join(dir, 'steps.sh'), `set -euo pipefail\nip link set lo up\n${script}`);
  const env = { PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: dir };
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--net', '--pid', '--fork', '--kill-child', '--mount-proc', 'bash', 'steps.sh'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    t.after(() => {
      clearTimeout(timer);
      child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, dir });
    });
  });
}
