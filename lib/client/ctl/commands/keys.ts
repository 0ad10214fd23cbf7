// The key commands: set, get, mk, mkdir, setdir, update, updatedir, rm, rmdir, ls.
// Each sends the request etcdctl sends and prints what etcdctl prints.

import type { KeyNode, KeysResponse } from '../../index.js';
import { type Ctx, Exit, ExitCode } from '../context.js';
import type { Flags } from '../flags.js';
import { printResponseKey } from '../format.js';

export type CommandAction = (ctx: Ctx, flags: Flags, args: readonly string[]) => Promise<void>;

/** etcd's client turns --ttl N into time.Duration(N)*time.Second, which wraps like Go's int64. */
function ttlSeconds(flags: Flags): bigint {
  const ns = BigInt.asIntN(64, flags.int('ttl') * 1_000_000_000n);
  return ns > 0n ? ns / 1_000_000_000n : 0n;
}

/** Go's uint64(int) conversion of an index flag. */
function wireIndex(flags: Flags, name: string): bigint {
  return BigInt.asUintN(64, flags.int(name));
}

function requireKey(ctx: Ctx, args: readonly string[]): string {
  if (args.length === 0) ctx.fail(ExitCode.BadArgs, 'key required');
  return args[0]!;
}

async function requireValue(ctx: Ctx, args: readonly string[]): Promise<string> {
  const value = await ctx.argOrStdin(args, 1);
  if (value === null) ctx.fail(ExitCode.BadArgs, 'value required');
  return value;
}

/** Runs one request under --total-timeout; a failure is etcdctl's "Error:  ..." with status 4. */
async function call<T>(ctx: Ctx, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = ctx.deadline();
  try {
    return await send(deadline.signal);
  } catch (e) {
    if (e instanceof Error) ctx.fail(ExitCode.ServerError, e);
    throw e;
  } finally {
    deadline.done();
  }
}

export const set: CommandAction = async (ctx, flags, args) => {
  const key = requireKey(ctx, args);
  const value = await requireValue(ctx, args);
  const { keys } = await ctx.client({ sync: true });
  const resp = await call(ctx, (signal) =>
    keys.set(
      key,
      value,
      {
        ttl: ttlSeconds(flags),
        prevValue: flags.string('swap-with-value'),
        prevIndex: wireIndex(flags, 'swap-with-index'),
      },
      { signal },
    ),
  );
  printResponseKey(ctx, resp, ctx.format());
};

export const mk: CommandAction = async (ctx, flags, args) => {
  const key = requireKey(ctx, args);
  const value = await requireValue(ctx, args);
  const { keys } = await ctx.client({ sync: true });
  const ttl = ttlSeconds(flags);
  const resp = await call(ctx, (signal) =>
    flags.bool('in-order')
      ? keys.createInOrder(key, value, { ttl }, { signal })
      : keys.set(key, value, { ttl, prevExist: 'false' }, { signal }),
  );
  printResponseKey(ctx, resp, ctx.format());
};

export const update: CommandAction = async (ctx, flags, args) => {
  const key = requireKey(ctx, args);
  const value = await requireValue(ctx, args);
  const { keys } = await ctx.client({ sync: true });
  const resp = await call(ctx, (signal) =>
    keys.set(key, value, { ttl: ttlSeconds(flags), prevExist: 'true' }, { signal }),
  );
  printResponseKey(ctx, resp, ctx.format());
};

function dirCommand(prevExist: 'true' | 'false' | undefined): CommandAction {
  return async (ctx, flags, args) => {
    const key = requireKey(ctx, args);
    const { keys } = await ctx.client({ sync: true });
    const resp = await call(ctx, (signal) =>
      keys.set(key, '', { ttl: ttlSeconds(flags), dir: true, ...(prevExist && { prevExist }) }, { signal }),
    );
    if (ctx.format() !== 'simple') printResponseKey(ctx, resp, ctx.format());
  };
}

export const mkdir = dirCommand('false');
export const setdir = dirCommand(undefined);
export const updatedir = dirCommand('true');

function printUnlessSimpleDir(ctx: Ctx, resp: KeysResponse): void {
  if (!resp.node?.dir || ctx.format() !== 'simple') printResponseKey(ctx, resp, ctx.format());
}

export const rm: CommandAction = async (ctx, flags, args) => {
  const key = requireKey(ctx, args);
  const { keys } = await ctx.client({ sync: true });
  const resp = await call(ctx, (signal) =>
    keys.delete(
      key,
      {
        recursive: flags.bool('recursive'),
        dir: flags.bool('dir'),
        prevValue: flags.string('with-value'),
        prevIndex: wireIndex(flags, 'with-index'),
      },
      { signal },
    ),
  );
  printUnlessSimpleDir(ctx, resp);
};

export const rmdir: CommandAction = async (ctx, _flags, args) => {
  const key = requireKey(ctx, args);
  const { keys } = await ctx.client({ sync: true });
  const resp = await call(ctx, (signal) => keys.delete(key, { dir: true }, { signal }));
  printUnlessSimpleDir(ctx, resp);
};

export const get: CommandAction = async (ctx, flags, args) => {
  const key = requireKey(ctx, args);
  const { keys } = await ctx.client({ sync: true });
  const resp = await call(ctx, (signal) =>
    keys.get(
      key,
      { sort: flags.bool('sort'), quorum: flags.bool('quorum'), atIndex: flags.int('at-index') },
      { signal },
    ),
  );
  if (resp.node?.dir) {
    ctx.err(`${resp.node.key}: is a directory\n`);
    throw new Exit(ExitCode.BadArgs);
  }
  printResponseKey(ctx, resp, ctx.format());
};

function listTree(ctx: Ctx, n: KeyNode, slashDirs: boolean): void {
  ctx.out(n.dir && slashDirs ? `${n.key}/\n` : `${n.key}\n`);
  for (const child of n.nodes ?? []) listTree(ctx, child, slashDirs);
}

export const ls: CommandAction = async (ctx, flags, args) => {
  const key = args.length === 0 ? '/' : args[0]!;
  const { keys } = await ctx.client({ sync: true });
  const resp = await call(ctx, (signal) =>
    keys.get(
      key,
      {
        sort: flags.bool('sort'),
        recursive: flags.bool('recursive'),
        quorum: flags.bool('quorum'),
        atIndex: flags.int('at-index'),
      },
      { signal },
    ),
  );
  if (ctx.format() !== 'simple') {
    printResponseKey(ctx, resp, ctx.format());
    return;
  }
  if (!resp.node) return;
  if (!resp.node.dir) ctx.out(`${resp.node.key}\n`);
  for (const child of resp.node.nodes ?? []) listTree(ctx, child, flags.bool('p'));
};
