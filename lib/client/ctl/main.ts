// kvctl's entry: global flags, command lookup, command flags, then the
// command, with etcdctl's usage errors and exit statuses.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { CAC, Command } from 'cac';

import { type CtlIO, Ctx, Exit, ExitCode } from './context.js';
import { type Flags, UsageError, parseFlags, reorderArgs } from './flags.js';
import { appHelp, commandHelp, subcommandsHelp } from './help.js';
import { type Registry, buildRegistry, flagSpecs, helpFlag } from './registry.js';

export type { CtlIO } from './context.js';

/** The version in the package.json above this file (source or dist). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kvd' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

function findCommand(cli: CAC, name: string): Command | undefined {
  return cli.commands.find((c) => c.isMatched(name));
}

function noHelpTopic(io: CtlIO, name: string): number {
  io.stderr.write(`No help topic for '${name}'\n`);
  return 3;
}

/** urfave's Command.Run: reorder, parse, --help, then the action. */
async function runCommand(
  reg: Registry,
  cmd: Command,
  argv: readonly string[],
  io: CtlIO,
  global: Flags,
  prefix: string,
): Promise<number> {
  const info = reg.info.get(cmd);
  const specs = [...flagSpecs(cmd), helpFlag];
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(specs, reorderArgs(specs, argv));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stdout.write(`Incorrect Usage: ${e.message}\n\n` + commandHelp(cmd, info, prefix));
    io.stderr.write(e.message + '\n');
    return ExitCode.BadArgs;
  }
  if (parsed.flags.bool('help') || !info) {
    io.stdout.write(commandHelp(cmd, info, prefix));
    return ExitCode.Success;
  }
  const ctx = new Ctx(io, global);
  try {
    await info.action(ctx, parsed.flags, parsed.args);
    return ExitCode.Success;
  } catch (e) {
    if (e instanceof Exit) return e.code;
    io.stderr.write(`Error:  ${e instanceof Error ? e.message : String(e)}\n`);
    return ExitCode.BadArgs;
  } finally {
    ctx.close();
  }
}

/** urfave's sub-app for a command with subcommands (member, user, role, auth): its own flag parse (only --help), then a subcommand. */
async function runGroup(
  reg: Registry,
  group: CAC,
  groupCmd: Command,
  argv: readonly string[],
  io: CtlIO,
  global: Flags,
): Promise<number> {
  const help = () => subcommandsHelp(group, groupCmd.name, groupCmd.description);
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags([helpFlag], argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stdout.write(`Incorrect Usage. ${e.message}\n\n` + help());
    io.stderr.write(e.message + '\n');
    return ExitCode.BadArgs;
  }
  const [name, ...rest] = parsed.args;
  if (parsed.flags.bool('help') || name === undefined) {
    io.stdout.write(help());
    return ExitCode.Success;
  }
  const sub = findCommand(group, name);
  if (!sub) return noHelpTopic(io, name);
  return runCommand(reg, sub, rest, io, global, `kvctl ${groupCmd.name}`);
}

/**
 * Runs kvctl with argv (without the program name) and returns its exit status.
 * Output goes to io; nothing touches process.* so tests can call it in-process.
 */
export async function main(argv: readonly string[], io: CtlIO): Promise<number> {
  const reg = buildRegistry();
  const version = packageVersion();
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(flagSpecs(reg.app.globalCommand), argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stdout.write(`Incorrect Usage. ${e.message}\n\n` + appHelp(reg.app, version));
    io.stderr.write(e.message + '\n');
    return ExitCode.BadArgs;
  }
  const global = parsed.flags;
  if (global.bool('help')) {
    io.stdout.write(appHelp(reg.app, version));
    return ExitCode.Success;
  }
  if (global.bool('version')) {
    io.stdout.write(`kvctl version: ${version}\nAPI version: 2\n`);
    return ExitCode.Success;
  }
  const [name, ...rest] = parsed.args;
  if (name === undefined) {
    io.stdout.write(appHelp(reg.app, version));
    return ExitCode.Success;
  }
  const cmd = findCommand(reg.app, name);
  if (!cmd) return noHelpTopic(io, name);
  if (cmd.name === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      io.stdout.write(appHelp(reg.app, version));
      return ExitCode.Success;
    }
    const target = findCommand(reg.app, topic);
    if (!target) return noHelpTopic(io, topic);
    const targetGroup = reg.groups.get(target.name);
    if (targetGroup) {
      io.stdout.write(subcommandsHelp(targetGroup, target.name, target.description));
      return ExitCode.Success;
    }
    io.stdout.write(commandHelp(target, reg.info.get(target)));
    return ExitCode.Success;
  }
  const group = reg.groups.get(cmd.name);
  if (group) return runGroup(reg, group, cmd, rest, io, global);
  return runCommand(reg, cmd, rest, io, global, 'kvctl');
}
