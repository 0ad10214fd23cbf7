// kvctl's commands and flags, registered with cac: names, arguments, flag
// names and kinds, usage lines and examples live here and nowhere else. cac's
// own parser is not used (it turns "0x10" into 16 and "-1" into a flag);
// flags.ts reads the registered options with etcdctl's rules instead.

import { type CAC, type Command, cac } from 'cac';

import * as auth from './commands/auth.js';
import { backup } from './commands/backup.js';
import { checkCommand } from './commands/check.js';
import * as keys from './commands/keys.js';
import type { CommandAction } from './commands/keys.js';
import * as member from './commands/member.js';
import { execWatch, watch } from './commands/watch.js';
import type { FlagKind, FlagSpec } from './flags.js';

interface FlagDef extends FlagSpec {}

function flag(names: string, kind: FlagKind, usage: string, def?: string): FlagDef {
  return { names: names.split(',').map((n) => n.trim()), kind, usage, ...(def !== undefined && { default: def }) };
}

/** cac rawName for a flag: "--recursive, -r" or "--ttl <value>". */
function rawName(f: FlagSpec): string {
  return f.names.map((n) => (n.length === 1 ? '-' : '--') + n).join(', ') + (f.kind === 'bool' ? '' : ' <value>');
}

function addFlag(cmd: Command, f: FlagSpec): void {
  cmd.option(rawName(f), f.usage, { type: [f.kind], ...(f.default !== undefined && { default: f.default }) });
}

/** The FlagSpecs of a cac command's options (the inverse of addFlag). */
export function flagSpecs(cmd: Command): FlagSpec[] {
  return cmd.options.map((o) => {
    const names = o.rawName
      .replace(/[<[].*$/, '')
      .split(',')
      .map((n) => n.trim().replace(/^-+/, ''));
    const kind = (o.config.type?.[0] as FlagKind | undefined) ?? 'bool';
    const def = o.config.default as string | undefined;
    return { names, kind, usage: o.description, ...(def !== undefined && { default: def }) };
  });
}

export const helpFlag = flag('help, h', 'bool', 'show help');

export interface CommandInfo {
  /** etcdctl's longer DESCRIPTION, when it has one. */
  readonly details?: string;
  readonly action: CommandAction;
}

export interface Registry {
  readonly app: CAC;
  /** member's subcommands, a CAC of their own. */
  readonly member: CAC;
  /** Commands with subcommands (member, user, role, auth), each a CAC of its own, by command name. */
  readonly groups: ReadonlyMap<string, CAC>;
  readonly info: ReadonlyMap<Command, CommandInfo>;
}

interface Def {
  readonly name: string;
  readonly args: string;
  readonly usage: string;
  readonly flags?: readonly FlagDef[];
  readonly examples?: readonly string[];
  readonly details?: string;
  readonly action?: CommandAction;
  readonly alias?: string;
}

const ttl = flag('ttl', 'int', 'key time-to-live in seconds', '0');
/** kvd's own: read the tree as it was just after a past index (the server rebuilds it from its log). */
const atIndex = flag('at-index', 'int', 'read the value as it was just after this index (kvd only)', '0');

const commands: readonly Def[] = [
  {
    name: 'backup',
    args: '',
    usage: 'backup a kvd data directory',
    details:
      "Copies the newest snapshot and then the log segments of a member's data dir.\n" +
      '   The copy is crash-consistent: a member started from it recovers what the\n' +
      '   original member would have recovered had it crashed during the copy.\n' +
      '   It works while the member runs.',
    flags: [
      flag('data-dir', 'string', 'Path to the kvd data dir'),
      flag('wal-dir', 'string', 'Path to the kvd wal dir'),
      flag('backup-dir', 'string', 'Path to the backup dir'),
      flag('backup-wal-dir', 'string', 'Path to the backup wal dir'),
    ],
    examples: ['kvctl backup --data-dir /var/lib/kvd --backup-dir /backup/kvd-2024-01-01'],
    action: backup,
  },
  {
    name: 'cluster-health',
    args: '',
    usage: 'check the health of the etcd cluster',
    flags: [flag('forever, f', 'bool', 'forever check the health every 10 second until CTRL+C')],
    examples: [
      'kvctl cluster-health',
      'kvctl --endpoints https://10.0.0.1:2379 --ca-file ca.pem cluster-health --forever',
    ],
    action: member.clusterHealth,
  },
  {
    name: 'check',
    args: '<what>',
    usage: "kvd only: 'check hash' prints every member's store hash at one index; exits 5 when they differ",
    details:
      'check hash asks every member for its store hash (GET /v2/stats/hash) at the lowest index any member\n' +
      '   is at, prints them, and exits 5 when they differ or a member does not answer.',
    examples: ['kvctl check hash'],
    action: checkCommand,
  },
  {
    name: 'mk',
    args: '<key> <value>',
    usage: 'make a new key with a given value',
    flags: [flag('in-order', 'bool', 'create in-order key under directory <key>'), ttl],
    examples: [
      'kvctl mk /config/db postgres://db:5432',
      'kvctl mk --in-order /queue job-1',
      'echo hello | kvctl mk /greeting',
    ],
    action: keys.mk,
  },
  {
    name: 'mkdir',
    args: '<key>',
    usage: 'make a new directory',
    flags: [ttl],
    examples: ['kvctl mkdir /config', 'kvctl mkdir --ttl 60 /locks'],
    action: keys.mkdir,
  },
  {
    name: 'rm',
    args: '<key>',
    usage: 'remove a key or a directory',
    flags: [
      flag('dir', 'bool', 'removes the key if it is an empty directory or a key-value pair'),
      flag('recursive, r', 'bool', 'removes the key and all child keys(if it is a directory)'),
      flag('with-value', 'string', 'previous value'),
      flag('with-index', 'int', 'previous index', '0'),
    ],
    examples: ['kvctl rm /config/db', 'kvctl rm --recursive /config', 'kvctl rm --with-value old /config/db'],
    action: keys.rm,
  },
  {
    name: 'rmdir',
    args: '<key>',
    usage: 'removes the key if it is an empty directory or a key-value pair',
    examples: ['kvctl rmdir /config'],
    action: keys.rmdir,
  },
  {
    name: 'get',
    args: '<key>',
    usage: 'retrieve the value of a key',
    flags: [
      flag('sort', 'bool', 'returns result in sorted order'),
      flag('quorum, q', 'bool', 'require quorum for get request'),
      atIndex,
    ],
    examples: [
      'kvctl get /config/db',
      'kvctl -o extended get --quorum /config/db',
      'kvctl get --at-index 42 /config/db',
    ],
    action: keys.get,
  },
  {
    name: 'ls',
    args: '[key]',
    usage: 'retrieve a directory',
    flags: [
      flag('sort', 'bool', 'returns result in sorted order'),
      flag('recursive, r', 'bool', 'returns all key names recursively for the given path'),
      flag('p', 'bool', 'append slash (/) to directories'),
      flag('quorum, q', 'bool', 'require quorum for get request'),
      atIndex,
    ],
    examples: ['kvctl ls', 'kvctl ls --recursive -p --sort /config', 'kvctl ls --recursive --at-index 42 /config'],
    action: keys.ls,
  },
  {
    name: 'set',
    args: '<key> <value>',
    usage: 'set the value of a key',
    details:
      "Set sets the value of a key.\n\n   When <value> begins with '-', <value> is interpreted as a flag.\n" +
      "   Insert '--' for workaround:\n\n   $ set -- <key> <value>",
    flags: [
      ttl,
      flag('swap-with-value', 'string', 'previous value'),
      flag('swap-with-index', 'int', 'previous index', '0'),
    ],
    examples: [
      'kvctl set /config/db postgres://db:5432',
      'kvctl set --ttl 30 /leases/worker-1 alive',
      'kvctl set --swap-with-value old /config/db new',
      'kvctl set -- /config/offset -5',
    ],
    action: keys.set,
  },
  {
    name: 'setdir',
    args: '<key>',
    usage: 'create a new directory or update an existing directory TTL',
    flags: [ttl],
    examples: ['kvctl setdir --ttl 120 /locks'],
    action: keys.setdir,
  },
  {
    name: 'update',
    args: '<key> <value>',
    usage: 'update an existing key with a given value',
    flags: [ttl],
    examples: ['kvctl update /config/db postgres://db2:5432'],
    action: keys.update,
  },
  {
    name: 'updatedir',
    args: '<key> <value>',
    usage: 'update an existing directory',
    flags: [ttl],
    examples: ['kvctl updatedir --ttl 300 /locks'],
    action: keys.updatedir,
  },
  {
    name: 'watch',
    args: '<key>',
    usage: 'watch a key for changes',
    flags: [
      flag('forever, f', 'bool', 'forever watch a key until CTRL+C'),
      flag('after-index', 'int', 'watch after the given index', '0'),
      flag('recursive, r', 'bool', 'returns all values for key and child keys'),
    ],
    examples: [
      'kvctl watch /config/db',
      'kvctl watch --forever --recursive /config',
      'kvctl watch --after-index 42 /config/db',
    ],
    action: watch,
  },
  {
    name: 'exec-watch',
    args: '<key> <command> [args...]',
    usage: 'watch a key for changes and exec an executable',
    flags: [
      flag('after-index', 'int', 'watch after the given index', '0'),
      flag('recursive, r', 'bool', 'watch all values for key and child keys'),
    ],
    examples: [
      `kvctl exec-watch --recursive /config -- sh -c 'echo "$ETCD_WATCH_KEY is now $ETCD_WATCH_VALUE ($ETCD_WATCH_ACTION)"'`,
      `kvctl exec-watch sh -c 'echo $ETCD_WATCH_VALUE' /config/db`,
    ],
    action: execWatch,
  },
  { name: 'member', args: '', usage: 'member add, remove and list subcommands' },
  { name: 'user', args: '', usage: 'user add, grant and revoke subcommands' },
  { name: 'role', args: '', usage: 'role add, grant and revoke subcommands' },
  { name: 'auth', args: '', usage: 'overall auth controls' },
  { name: 'help', args: '[command]', usage: 'Shows a list of commands or help for one command', alias: 'h' },
];

const memberCommands: readonly Def[] = [
  {
    name: 'list',
    args: '',
    usage: 'enumerate existing cluster members',
    examples: ['kvctl member list'],
    action: member.memberList,
  },
  {
    name: 'add',
    args: '<name> <peerURL>',
    usage: 'add a new member to the etcd cluster',
    examples: ['kvctl member add infra3 http://10.0.1.13:2380'],
    action: member.memberAdd,
  },
  {
    name: 'remove',
    args: '<memberID>',
    usage: 'remove an existing member from the etcd cluster',
    examples: ['kvctl member remove 8211f1d0f64f3269'],
    action: member.memberRemove,
  },
  {
    name: 'update',
    args: '<memberID> <peerURLs>',
    usage: 'update an existing member in the etcd cluster',
    examples: ['kvctl member update 8211f1d0f64f3269 http://10.0.1.13:2380,http://10.0.1.14:2380'],
    action: member.memberUpdate,
  },
];

const rolesFlag = flag('roles', 'strings', 'List of roles to grant or revoke');

const userCommands: readonly Def[] = [
  {
    name: 'add',
    args: '<user>',
    usage: 'add a new user for the etcd cluster',
    examples: ['kvctl --username root:secret user add alice', 'kvctl user add alice:secret'],
    action: auth.userAdd,
  },
  {
    name: 'get',
    args: '<user>',
    usage: 'get details for a user',
    examples: ['kvctl --username root:secret user get alice'],
    action: auth.userGet,
  },
  {
    name: 'list',
    args: '<user>',
    usage: 'list all current users',
    examples: ['kvctl --username root:secret user list'],
    action: auth.userList,
  },
  {
    name: 'remove',
    args: '<user>',
    usage: 'remove a user for the etcd cluster',
    examples: ['kvctl --username root:secret user remove alice'],
    action: auth.userRemove,
  },
  {
    name: 'grant',
    args: '<user>',
    usage: 'grant roles to an etcd user',
    flags: [rolesFlag],
    examples: ['kvctl --username root:secret user grant --roles app --roles ops alice'],
    action: auth.userGrant,
  },
  {
    name: 'revoke',
    args: '<user>',
    usage: 'revoke roles for an etcd user',
    flags: [rolesFlag],
    examples: ['kvctl --username root:secret user revoke --roles ops alice'],
    action: auth.userRevoke,
  },
  {
    name: 'passwd',
    args: '<user>',
    usage: 'change password for a user',
    examples: ['kvctl --username root:secret user passwd alice'],
    action: auth.userPasswd,
  },
];

function pathFlags(verb: 'granted' | 'revoked', what: readonly [string, string, string]): FlagDef[] {
  return [
    flag('path', 'string', `Path ${verb} for the role to access`),
    flag('read', 'bool', what[0]),
    flag('write', 'bool', what[1]),
    flag('readwrite, rw', 'bool', what[2]),
  ];
}

const roleCommands: readonly Def[] = [
  {
    name: 'add',
    args: '<role>',
    usage: 'add a new role for the etcd cluster',
    examples: ['kvctl --username root:secret role add app'],
    action: auth.roleAdd,
  },
  {
    name: 'get',
    args: '<role>',
    usage: 'get details for a role',
    examples: ['kvctl --username root:secret role get app'],
    action: auth.roleGet,
  },
  {
    name: 'list',
    args: '',
    usage: 'list all roles',
    examples: ['kvctl --username root:secret role list'],
    action: auth.roleList,
  },
  {
    name: 'remove',
    args: '<role>',
    usage: 'remove a role from the etcd cluster',
    examples: ['kvctl --username root:secret role remove app'],
    action: auth.roleRemove,
  },
  {
    name: 'grant',
    args: '<role>',
    usage: 'grant path matches to an etcd role',
    flags: pathFlags('granted', ['Grant read-only access', 'Grant write-only access', 'Grant read-write access']),
    examples: ["kvctl --username root:secret role grant --path '/app/*' --readwrite app"],
    action: auth.roleGrant,
  },
  {
    name: 'revoke',
    args: '<role>',
    usage: 'revoke path matches for an etcd role',
    flags: pathFlags('revoked', ['Revoke read access', 'Revoke write access', 'Revoke read-write access']),
    examples: ["kvctl --username root:secret role revoke --path '/app/*' --write app"],
    action: auth.roleRevoke,
  },
];

const authCommands: readonly Def[] = [
  {
    name: 'enable',
    args: '',
    usage: 'enable auth access controls',
    examples: ['kvctl --username root:secret auth enable'],
    action: auth.authEnable,
  },
  {
    name: 'disable',
    args: '',
    usage: 'disable auth access controls',
    examples: ['kvctl --username root:secret auth disable'],
    action: auth.authDisable,
  },
];

export const globalFlags: readonly FlagSpec[] = [
  flag('debug', 'bool', 'output cURL commands which can be used to reproduce the request'),
  flag('no-sync', 'bool', "don't synchronize cluster information before sending request"),
  flag('output, o', 'string', 'output response in the given format (`simple`, `extended` or `json`)', 'simple'),
  flag('peers, C', 'string', 'DEPRECATED - "--endpoints" should be used instead'),
  flag('endpoint', 'string', 'DEPRECATED - "--endpoints" should be used instead'),
  flag(
    'endpoints',
    'string',
    'a comma-delimited list of machine addresses in the cluster (default: "http://127.0.0.1:2379,http://127.0.0.1:4001"; also $KVCTL_ENDPOINTS, $ETCDCTL_ENDPOINTS)',
  ),
  flag('cert-file', 'string', 'identify HTTPS client using this SSL certificate file'),
  flag('key-file', 'string', 'identify HTTPS client using this SSL key file'),
  flag('ca-file', 'string', 'verify certificates of HTTPS-enabled servers using this CA bundle'),
  flag('username, u', 'string', 'provide username[:password] and prompt if password is not supplied.'),
  flag('timeout', 'duration', 'connection timeout per request', '2s'),
  flag('total-timeout', 'duration', 'timeout for the command execution (except watch)', '5s'),
  helpFlag,
  flag('version, v', 'bool', 'print the version'),
];

function register(cli: CAC, defs: readonly Def[], info: Map<Command, CommandInfo>): void {
  for (const d of defs) {
    const cmd = cli.command(d.args === '' ? d.name : `${d.name} ${d.args}`, d.usage);
    if (d.alias) cmd.alias(d.alias);
    for (const f of d.flags ?? []) addFlag(cmd, f);
    for (const e of d.examples ?? []) cmd.example(e);
    if (d.action) info.set(cmd, { action: d.action, ...(d.details !== undefined && { details: d.details }) });
  }
}

export function buildRegistry(): Registry {
  const info = new Map<Command, CommandInfo>();
  const app = cac('kvctl');
  for (const f of globalFlags)
    app.option(rawName(f), f.usage, { type: [f.kind], ...(f.default !== undefined && { default: f.default }) });
  register(app, commands, info);
  const groups = new Map<string, CAC>();
  for (const [name, defs] of [
    ['member', memberCommands],
    ['user', userCommands],
    ['role', roleCommands],
    ['auth', authCommands],
  ] as const) {
    const cli = cac(`kvctl ${name}`);
    register(cli, defs, info);
    groups.set(name, cli);
  }
  const member = groups.get('member');
  if (member === undefined) throw new Error('kvctl: the member command group is not registered');
  return { app, member, groups, info };
}
