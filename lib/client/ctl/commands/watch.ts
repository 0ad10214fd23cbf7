// watch and exec-watch: long polls on /v2/keys?wait=true, as etcdctl does.
// They run until an event (watch) or forever; the io signal is Ctrl+C and
// ends them with status 0.

import { spawn, type ChildProcess } from 'node:child_process';

import { ClientFailure, type KeysResponse, type Watcher } from '../../index.js';
import { type Ctx, Exit, ExitCode } from '../context.js';
import { printResponseKey } from '../format.js';
import type { CommandAction } from './keys.js';

/** The next event, or null once the signal asked to stop. */
async function nextEvent(ctx: Ctx, watcher: Watcher, signal: AbortSignal | undefined): Promise<KeysResponse | null> {
  try {
    return await watcher.next(signal ? { signal } : {});
  } catch (e) {
    if (signal?.aborted) return null;
    if (e instanceof ClientFailure && e.kind === 'canceled') return null;
    if (e instanceof Error) ctx.fail(ExitCode.ServerError, e);
    throw e;
  }
}

export const watch: CommandAction = async (ctx, flags, args) => {
  if (args.length === 0) ctx.fail(ExitCode.BadArgs, 'key required');
  const key = args[0]!;
  const recursive = flags.bool('recursive');
  const forever = flags.bool('forever');
  const { keys } = await ctx.client({ sync: true });
  const watcher = keys.watcher(key, { afterIndex: BigInt.asUintN(64, flags.int('after-index')), recursive });
  for (;;) {
    const resp = await nextEvent(ctx, watcher, ctx.io.signal);
    if (resp === null) return;
    if (resp.node?.dir) continue;
    if (recursive) ctx.out(`[${resp.action}] ${resp.node?.key ?? ''}\n`);
    printResponseKey(ctx, resp, ctx.format());
    if (!forever) return;
  }
};

/** Go's exec error texts for a command that cannot be started. */
function startError(command: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') {
    return command.includes('/')
      ? `fork/exec ${command}: no such file or directory`
      : `exec: "${command}": executable file not found in $PATH`;
  }
  if (err.code === 'EACCES') return `fork/exec ${command}: permission denied`;
  return err.message;
}

/**
 * exec-watch runs the command once per event, each with etcdctl's
 * ETCD_WATCH_ACTION/MODIFIED_INDEX/KEY/VALUE; runs overlap as in etcdctl.
 * The command comes after "--" (exec-watch [flags] <key> -- <command>) or
 * before the key (exec-watch <command> <key>), as etcdctl reads them.
 */
export const execWatch: CommandAction = async (ctx, flags, args) => {
  if (args.length < 2) ctx.fail(ExitCode.BadArgs, 'key and command to exec required');
  const sep = args.findIndex((a, i) => a === '--' && i !== 0);
  const key = sep >= 0 ? args[0]! : args[args.length - 1]!;
  const command = sep >= 0 ? args.slice(2) : args.slice(0, -1);
  const afterIndex = BigInt.asUintN(64, flags.int('after-index'));
  const { keys } = await ctx.client({ sync: true });
  const watcher = keys.watcher(key, { afterIndex, recursive: flags.bool('recursive') });
  const running = new Set<ChildProcess>();
  // Ends the watch on Ctrl+C (the io signal) or when a command cannot be started.
  const stop = new AbortController();
  let startFailure: string | null = null;
  const onInterrupt = (): void => {
    for (const child of running) child.kill('SIGINT');
    stop.abort();
  };
  if (ctx.io.signal?.aborted) onInterrupt();
  ctx.io.signal?.addEventListener('abort', onInterrupt, { once: true });
  try {
    for (;;) {
      const resp = await nextEvent(ctx, watcher, stop.signal);
      if (resp === null) break;
      if (resp.node?.dir) {
        ctx.err(`Ignored dir ${resp.node.key} change\n`);
        continue;
      }
      if (command.length === 0) {
        startFailure = 'exec: no command';
        break;
      }
      const child = spawn(command[0]!, command.slice(1), {
        env: {
          ...ctx.io.env,
          ETCD_WATCH_ACTION: resp.action,
          ETCD_WATCH_MODIFIED_INDEX: String(resp.node?.modifiedIndex ?? 0),
          ETCD_WATCH_KEY: resp.node?.key ?? '',
          ETCD_WATCH_VALUE: resp.node?.value ?? '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.add(child);
      child.stdout!.on('data', (d: Buffer) => ctx.io.stdout.write(d));
      child.stderr!.on('data', (d: Buffer) => ctx.io.stderr.write(d));
      child.on('error', (err: NodeJS.ErrnoException) => {
        startFailure ??= startError(command[0]!, err);
        running.delete(child);
        stop.abort();
      });
      child.on('close', () => running.delete(child));
    }
  } finally {
    ctx.io.signal?.removeEventListener('abort', onInterrupt);
    const live = [...running].filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(live.map((c) => new Promise((resolve) => c.once('close', resolve))));
  }
  if (startFailure !== null) {
    ctx.err(startFailure);
    throw new Exit(ExitCode.BadArgs);
  }
};
