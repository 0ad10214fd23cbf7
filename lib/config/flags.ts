// Command-line flags under Go's flag syntax, which etcd's command lines use:
// `-name x`, `--name x`, `--name=x`; a value flag always takes the next
// argument; a boolean flag stands alone or takes `=value`.
//
// cac parses the arguments, but it turns `--name 123` into the number 123 and
// `0x10` into 16, so the values are re-read from the (normalized) arguments as
// the strings the operator typed, and validated later like every other source.
import { cac } from 'cac';
import { present } from '../assert.js';
import { ConfigError } from './errors.js';
import { CONFIG_FILE_FLAG, IGNORED_ETCD_KEYS, OPTIONS, UNSUPPORTED_ETCD_KEYS } from './options.js';
import type { RawValues } from './source.js';
import { isBoolWord, parseBool } from './values.js';

/** Flag name → whether it is boolean. */
const FLAGS: ReadonlyMap<string, boolean> = new Map<string, boolean>([
  ...OPTIONS.map((o) => [o.flag, o.kind === 'bool'] as const),
  ...IGNORED_ETCD_KEYS.map((k) => [k.flag, k.boolean] as const),
  ...UNSUPPORTED_ETCD_KEYS.map((k) => [k.flag, k.boolean] as const),
  [CONFIG_FILE_FLAG, false],
  ['help', true],
  ['version', true],
]);

/** cac's camelCase option key → flag name. */
const FLAG_BY_CAC_KEY: ReadonlyMap<string, string> = new Map(
  [...FLAGS.keys()].map((flag) => [
    flag.replace(/([a-z])-([a-z])/g, (_, a: string, b: string) => a + b.toUpperCase()),
    flag,
  ]),
);

export interface CommandLine {
  /** Settings given as flags (not help/version). */
  readonly values: RawValues;
  readonly help: boolean;
  readonly version: boolean;
}

/** Parses `argv` (the arguments after the program name). */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const normalized = normalize(argv);
  const cli = cac('kvd');
  for (const flag of FLAGS.keys()) cli.option(`--${flag} <value>`, '');
  const parsed = cli.parse(['node', 'kvd', ...normalized], { run: false });
  const positional = [...parsed.args, ...((parsed.options['--'] as string[] | undefined) ?? [])];
  if (positional.length > 0) {
    throw new ConfigError(
      'UNEXPECTED_ARGUMENT',
      String(positional[0]),
      `unexpected argument ${JSON.stringify(String(positional[0]))}: kvd takes only flags, e.g. --name infra0 (see kvd --help)`,
    );
  }
  const values: RawValues = new Map();
  for (const key of Object.keys(parsed.options)) {
    const flag = FLAG_BY_CAC_KEY.get(key);
    if (flag === undefined) continue; // '--'
    values.set(flag, { text: lastValue(normalized, flag), source: { kind: 'flag', flag } });
  }
  const flagged = (flag: 'help' | 'version') => {
    const raw = values.get(flag);
    values.delete(flag);
    return raw !== undefined && parseBool(flag, raw);
  };
  const help = flagged('help');
  const version = flagged('version');
  return { values, help, version };
}

/**
 * Rewrites every known flag as `--flag=value` and refuses unknown ones.
 * Positional arguments go first: cac lets `--flag=` (an empty value) swallow
 * the argument after it, which must not hide a stray argument.
 */
function normalize(argv: readonly string[]): string[] {
  const positional: string[] = [];
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = present(argv[i], 'i < argv.length');
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^--?([^-=][^=]*)(?:=([\s\S]*))?$/.exec(arg);
    if (!m) {
      positional.push(arg);
      continue;
    }
    const name = present(m[1], 'the flag pattern always captures a name');
    const flag = name === 'h' ? 'help' : name;
    const inline = m[2];
    const boolean = FLAGS.get(flag);
    if (boolean === undefined) {
      throw new ConfigError(
        'UNKNOWN_KEY',
        flag,
        `unknown flag ${JSON.stringify(arg)}: kvd takes etcd's flag names; see kvd --help for the list`,
      );
    }
    if (inline !== undefined) {
      out.push(`--${flag}=${inline}`);
    } else if (boolean) {
      // Go would leave `--client-cert-auth false` as a stray argument; an
      // operator writing it means false.
      const next = argv[i + 1];
      if (next !== undefined && isBoolWord(next)) {
        out.push(`--${flag}=${next}`);
        i++;
      } else {
        out.push(`--${flag}=true`);
      }
    } else if (i + 1 < argv.length) {
      out.push(`--${flag}=${argv[++i]}`);
    } else {
      throw new ConfigError('MISSING_VALUE', flag, `flag --${flag} needs a value, e.g. --${flag}=<value>`);
    }
  }
  return [...positional, ...out];
}

function lastValue(normalized: readonly string[], flag: string): string {
  const prefix = `--${flag}=`;
  const end = normalized.indexOf('--');
  const args = end === -1 ? normalized : normalized.slice(0, end);
  const arg = args.findLast((a) => a.startsWith(prefix));
  if (arg !== undefined) return arg.slice(prefix.length);
  throw new Error(`cac reported flag --${flag} that the normalized arguments do not hold`);
}
