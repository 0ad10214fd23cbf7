// The process-level last line of a member: whatever escapes every handler is
// logged at fatal with its stack, and the member stops with a non-zero code.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { first } from '../support/pick.js';
import { freePort, kvdBin, memberArgs, tempDir, waitReady, type MemberProcess } from '../support/procs.js';

interface Exit {
  readonly code: number | null;
  readonly lines: Array<Record<string, any>>;
}

/** Starts a one-member cluster whose process throws `fault` on SIGUSR2, sends it, and waits for the exit. */
async function memberHitBy(t: TestContext, fault: string): Promise<Exit> {
  const dir = tempDir(t);
  const preload = join(dir, 'fault.mjs');
  writeFileSync(preload, `process.on('SIGUSR2', () => { ${fault} });\n`);
  const spec = { name: 'm1', clientPort: await freePort(), peerPort: await freePort(), dataDir: join(dir, 'm1') };
  const args = memberArgs(spec, `m1=http://127.0.0.1:${spec.peerPort}`, 'new');
  const proc = spawn(process.execPath, ['--import', preload, kvdBin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => void proc.kill('SIGKILL'));
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (c: string) => void (stderr += c));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const view = {
    spec,
    clientURL: `http://127.0.0.1:${spec.clientPort}`,
    get exitCode() {
      return proc.exitCode;
    },
    get stderr() {
      return stderr;
    },
  };
  await waitReady(view as unknown as MemberProcess);
  proc.kill('SIGUSR2');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 10_000)))]);
  clearTimeout(timer);
  assert.notEqual(code, 'hung', 'the member did not exit');
  const lines = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);
  return { code: code as number | null, lines };
}

test('an uncaught exception is logged at fatal with its stack and stops the member with a non-zero code', async (t) => {
  const { code, lines } = await memberHitBy(t, "throw new Error('injected fault')");
  assert.ok(code !== null && code !== 0, `exit code ${code}`);
  const fatal = lines.filter((l) => l.level === 60);
  assert.equal(fatal.length, 1, JSON.stringify(lines.slice(-3)));
  const line = first(fatal);
  assert.equal(line.msg, 'uncaught exception; stopping the member');
  assert.equal(line.name, 'm1');
  assert.match(line.err.stack, /Error: injected fault\n\s+at /);
});

test('an unhandled rejection is logged at fatal with its stack and stops the member with a non-zero code', async (t) => {
  const { code, lines } = await memberHitBy(t, "Promise.reject(new Error('injected rejection'))");
  assert.ok(code !== null && code !== 0, `exit code ${code}`);
  const fatal = lines.filter((l) => l.level === 60);
  assert.equal(fatal.length, 1, JSON.stringify(lines.slice(-3)));
  const line = first(fatal);
  assert.equal(line.msg, 'unhandled promise rejection; stopping the member');
  assert.match(line.err.stack, /Error: injected rejection\n\s+at /);
});
