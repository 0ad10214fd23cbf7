// auth enable|disable, user add|get|list|remove|grant|revoke|passwd and
// role add|get|list|remove|grant|revoke, with etcdctl v2's texts and exit
// statuses: every failure prints the server's message (or the client's
// error) on a line of its own and exits 1.

import type { AuthApi } from '../../auth.js';
import { type Ctx, Exit, ExitCode } from '../context.js';
import type { Flags } from '../flags.js';
import type { CommandAction } from './keys.js';

function die(ctx: Ctx, message: string): never {
  ctx.err(message + '\n');
  throw new Exit(ExitCode.BadArgs);
}

/** Runs one client call within --total-timeout; its failure is the command's. */
async function call<T>(ctx: Ctx, f: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = ctx.deadline();
  try {
    return await f(deadline.signal);
  } catch (e) {
    if (e instanceof Error && !(e instanceof Exit)) die(ctx, e.message);
    throw e;
  } finally {
    deadline.done();
  }
}

async function api(ctx: Ctx): Promise<AuthApi> {
  return (await ctx.client({ sync: true })).auth;
}

function noArgs(ctx: Ctx, args: readonly string[]): void {
  if (args.length !== 0) die(ctx, 'No arguments accepted');
}

function oneName(ctx: Ctx, args: readonly string[], what: string): string {
  const [name] = args;
  if (args.length !== 1 || name === undefined) die(ctx, `Please provide a ${what}`);
  return name;
}

export const authEnable: CommandAction = async (ctx, _flags, args) => {
  noArgs(ctx, args);
  const a = await api(ctx);
  await call(ctx, (signal) => a.enable({ signal }));
  ctx.out('Authentication Enabled\n');
};

export const authDisable: CommandAction = async (ctx, _flags, args) => {
  noArgs(ctx, args);
  const a = await api(ctx);
  await call(ctx, (signal) => a.disable({ signal }));
  ctx.out('Authentication Disabled\n');
};

export const userList: CommandAction = async (ctx, _flags, args) => {
  noArgs(ctx, args);
  const a = await api(ctx);
  for (const u of await call(ctx, (signal) => a.listUsers({ signal }))) ctx.out(`${u}\n`);
};

/** etcdctl's "user get": etcd's Go client reads the role objects into its string list first, leaving one empty name per role before the names. */
export const userGet: CommandAction = async (ctx, _flags, args) => {
  const name = oneName(ctx, args, 'username');
  const a = await api(ctx);
  const u = await call(ctx, (signal) => a.getUser(name, { signal }));
  ctx.out(`User: ${u.user}\n`);
  ctx.out(`Roles: ${[...u.roles.map(() => ''), ...u.roles].join(' ')}\n`);
};

/** "user add NAME[:PASSWORD]": prompts for the password when none is given. etcdctl 3.4 does not check first whether the user exists: adding one that does sets its password. */
export const userAdd: CommandAction = async (ctx, _flags, args) => {
  const arg = oneName(ctx, args, 'username');
  const colon = arg.indexOf(':');
  const name = colon < 0 ? arg : arg.slice(0, colon);
  const a = await api(ctx);
  const password = colon < 0 ? await ctx.askPassword('New password: ') : arg.slice(colon + 1);
  await call(ctx, (signal) => a.addUser(name, password, { signal }));
  ctx.out(`User ${name} created\n`);
};

export const userRemove: CommandAction = async (ctx, _flags, args) => {
  const name = oneName(ctx, args, 'username');
  const a = await api(ctx);
  await call(ctx, (signal) => a.removeUser(name, { signal }));
  ctx.out(`User ${name} removed\n`);
};

export const userPasswd: CommandAction = async (ctx, _flags, args) => {
  const name = oneName(ctx, args, 'username');
  const a = await api(ctx);
  const password = await ctx.askPassword('New password: ');
  await call(ctx, (signal) => a.changePassword(name, password, { signal }));
  ctx.out('Password updated\n');
};

function userGrantRevoke(grant: boolean): CommandAction {
  return async (ctx: Ctx, flags: Flags, args: readonly string[]) => {
    const roles = flags.strings('roles');
    if (roles.length === 0) die(ctx, 'No roles specified; please use `--roles`');
    const name = oneName(ctx, args, 'username');
    const a = await api(ctx);
    await call(ctx, (signal) => (grant ? a.grantUser(name, roles, { signal }) : a.revokeUser(name, roles, { signal })));
    ctx.out(`User ${name} updated\n`);
  };
}

export const userGrant = userGrantRevoke(true);
export const userRevoke = userGrantRevoke(false);

export const roleList: CommandAction = async (ctx, _flags, args) => {
  noArgs(ctx, args);
  const a = await api(ctx);
  for (const r of await call(ctx, (signal) => a.listRoles({ signal }))) ctx.out(`${r}\n`);
};

export const roleGet: CommandAction = async (ctx, _flags, args) => {
  const name = oneName(ctx, args, 'role name');
  const a = await api(ctx);
  const r = await call(ctx, (signal) => a.getRole(name, { signal }));
  ctx.out(`Role: ${r.role}\nKV Read:\n`);
  for (const p of r.permissions.read) ctx.out(`\t${p}\n`);
  ctx.out('KV Write:\n');
  for (const p of r.permissions.write) ctx.out(`\t${p}\n`);
};

export const roleAdd: CommandAction = async (ctx, _flags, args) => {
  const name = oneName(ctx, args, 'role name');
  const a = await api(ctx);
  const deadline = ctx.deadline();
  try {
    const exists = await a.getRole(name, { signal: deadline.signal }).then(
      () => true,
      () => false,
    );
    if (exists) die(ctx, `Role ${name} already exists`);
    try {
      await a.addRole(name, { signal: deadline.signal });
    } catch (e) {
      if (e instanceof Error) die(ctx, e.message);
      throw e;
    }
  } finally {
    deadline.done();
  }
  ctx.out(`Role ${name} created\n`);
};

export const roleRemove: CommandAction = async (ctx, _flags, args) => {
  const name = oneName(ctx, args, 'role name');
  const a = await api(ctx);
  await call(ctx, (signal) => a.removeRole(name, { signal }));
  ctx.out(`Role ${name} removed\n`);
};

/** etcd's pathutil.CanonicalURLPath: a leading slash, cleaned, a trailing slash kept. */
export function canonicalUrlPath(p: string): string {
  if (p === '') return '/';
  const withSlash = p.startsWith('/') ? p : '/' + p;
  const out: string[] = [];
  for (const part of withSlash.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  const clean = '/' + out.join('/');
  return withSlash.endsWith('/') && clean !== '/' ? clean + '/' : clean;
}

function roleGrantRevoke(grant: boolean): CommandAction {
  return async (ctx: Ctx, flags: Flags, args: readonly string[]) => {
    const path = flags.string('path');
    if (path === '') die(ctx, 'No path specified; please use `--path`');
    if (canonicalUrlPath(path) !== path)
      die(ctx, `Not canonical path; please use \`--path=${canonicalUrlPath(path)}\``);
    const chosen = (['read', 'write', 'readwrite'] as const).filter((f) => flags.bool(f));
    const [type] = chosen;
    if (chosen.length !== 1 || type === undefined)
      die(ctx, 'Please specify exactly one of --read, --write or --readwrite');
    const name = oneName(ctx, args, 'role name');
    const a = await api(ctx);
    await call(ctx, (signal) => a.getRole(name, { signal }));
    await call(ctx, (signal) =>
      grant ? a.grantRole(name, [path], type, { signal }) : a.revokeRole(name, [path], type, { signal }),
    );
    ctx.out(`Role ${name} updated\n`);
  };
}

export const roleGrant = roleGrantRevoke(true);
export const roleRevoke = roleGrantRevoke(false);
