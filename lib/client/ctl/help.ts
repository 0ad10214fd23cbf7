// Help text in etcdctl's layout (urfave/cli's templates), plus examples.

import type { CAC, Command } from 'cac';

import type { FlagSpec } from './flags.js';
import { type CommandInfo, flagSpecs } from './registry.js';

/** Go's text/tabwriter as urfave uses it: each run of tab-separated lines aligned, two spaces of padding. */
function tabulate(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length;) {
    if (!lines[i]!.includes('\t')) {
      out.push(lines[i]!);
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]!.includes('\t')) j++;
    const block = lines.slice(i, j).map((l) => l.split('\t'));
    const width = Math.max(...block.map((cells) => cells[0]!.length)) + 2;
    for (const cells of block) out.push(cells[0]!.padEnd(width) + cells.slice(1).join('\t'));
    i = j;
  }
  return out.join('\n');
}

/** urfave's flag line: "--ttl value\tkey time-to-live in seconds (default: 0)". */
function flagLine(f: FlagSpec): string {
  const tick = /`([^`]*)`/.exec(f.usage);
  const placeholder = tick ? tick[1]! : f.kind === 'bool' ? '' : 'value';
  const usage = tick ? f.usage.replace(/`([^`]*)`/, '$1') : f.usage;
  const names = f.names
    .map((n) => (n.length === 1 ? '-' : '--') + n + (placeholder ? ' ' + placeholder : ''))
    .join(', ');
  let def = '';
  if (f.kind === 'int' || f.kind === 'duration') def = ` (default: ${f.default ?? '0'})`;
  else if (f.kind === 'string' && f.default) def = ` (default: "${f.default}")`;
  return `${names}\t${usage}${def}`;
}

function argsUsage(cmd: Command): string {
  return cmd.rawName.slice(cmd.name.length).trim();
}

function commandList(cli: CAC): string {
  return cli.commands.map((c) => `   ${[c.name, ...c.aliasNames].join(', ')}\t${c.description}`).join('\n');
}

function examples(cmd: Command): string {
  if (cmd.examples.length === 0) return '';
  return 'EXAMPLES:\n' + cmd.examples.map((e) => `   $ ${typeof e === 'function' ? e('kvctl') : e}\n`).join('');
}

export function appHelp(cli: CAC, version: string): string {
  const flags = flagSpecs(cli.globalCommand);
  return tabulate(
    'NAME:\n   kvctl - A simple command line client for kvd and etcd (v2 API).\n\n' +
      'USAGE:\n   kvctl [global options] command [command options] [arguments...]\n\n' +
      `VERSION:\n   ${version}\n\n` +
      `COMMANDS:\n${commandList(cli)}\n\n` +
      'GLOBAL OPTIONS:\n' +
      flags.map((f) => `   ${flagLine(f)}`).join('\n') +
      '\n',
  );
}

export function commandHelp(cmd: Command, info: CommandInfo | undefined, prefix = 'kvctl'): string {
  const flags = flagSpecs(cmd);
  const args = argsUsage(cmd);
  let s = `NAME:\n   ${prefix} ${cmd.name} - ${cmd.description}\n\n`;
  s += `USAGE:\n   ${prefix} ${cmd.name}${flags.length > 0 ? ' [command options]' : ''}${args === '' ? '' : ' ' + args}\n`;
  if (info?.details) s += `\nDESCRIPTION:\n   ${info.details}\n`;
  if (flags.length > 0) s += '\nOPTIONS:\n' + flags.map((f) => `   ${flagLine(f)}\n`).join('') + '   \n';
  else if (cmd.examples.length > 0) s += '\n';
  s += examples(cmd);
  return tabulate(s);
}

export function subcommandsHelp(cli: CAC, name: string, usage: string): string {
  return tabulate(
    `NAME:\n   kvctl ${name} - ${usage}\n\n` +
      `USAGE:\n   kvctl ${name} command [command options] [arguments...]\n\n` +
      `COMMANDS:\n${commandList(cli)}\n\n` +
      'OPTIONS:\n   --help, -h\tshow help\n   \n',
  );
}
