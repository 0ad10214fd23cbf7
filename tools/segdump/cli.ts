import { cac } from 'cac';
import { RECORD_KINDS, type RecordKind } from '../../lib/storage/index.js';
import { cleanPath } from '../../lib/store/index.js';
import { resolveDataDir, UsageError } from './data-dir.js';
import { describeEntry, describeSnapshot, type EntryDescriber, type SnapshotDescriber } from './describers.js';
import { dump } from './dump.js';
import { COMMAND_HELP, GLOBAL_HELP } from './help.js';
import { history } from './history.js';
import { ls } from './ls.js';
import { Output, type Sink } from './output.js';
import { snapshot } from './snapshot.js';
import { verify } from './verify.js';

export interface SegdumpIo {
  readonly stdout: Sink;
  readonly stderr: Sink;
  /** The entry describer to use; absent: the server's (lib/server/proposal.ts). null: none (raw bytes). */
  readonly describeEntry?: EntryDescriber | null;
  /** The snapshot describer to use; absent: the server's (lib/server/snapshot-describe.ts). null: none. */
  readonly describeSnapshot?: SnapshotDescriber | null;
}

type Action = () => Promise<number>;

/** Runs segdump with the arguments after the program name; resolves to the exit status. */
export async function run(args: readonly string[], io: SegdumpIo): Promise<number> {
  const out = new Output(io.stdout);
  let action: Action | null = null;
  const cli = cac('segdump');
  cli.option('-h, --help', 'show help');
  cli.command('ls <dataDir>').action((dir: unknown) => {
    action = async () => ls(resolveDataDir(String(dir)), out);
  });
  cli
    .command('dump <dataDir>')
    .option('--json', '')
    .option('--from <n>', '')
    .option('--to <n>', '')
    .option('--type <kinds>', '')
    .option('--prefix <path>', '')
    .option('--full', '')
    .action((dir: unknown, o: Record<string, unknown>) => {
      const opts = {
        json: o.json === true,
        from: indexOption(o.from, '--from'),
        to: indexOption(o.to, '--to'),
        types: typesOption(o.type),
        prefix: prefixOption(o.prefix),
        full: o.full === true,
      };
      const dataDir = resolveDataDir(String(dir));
      action = async () => dump(dataDir, opts, await entryDescriber(io), out);
    });
  cli
    .command('history <dataDir>')
    .option('--key <path>', '')
    .option('--recursive', '')
    .option('--json', '')
    .action((dir: unknown, o: Record<string, unknown>) => {
      const opts = { key: keyOption(o.key), recursive: o.recursive === true, json: o.json === true };
      const dataDir = resolveDataDir(String(dir));
      action = async () => history(dataDir, opts, out);
    });
  cli.command('verify <dataDir>').action((dir: unknown) => {
    action = async () => verify(resolveDataDir(String(dir)), out);
  });
  cli
    .command('snapshot <file>')
    .option('--keys', '')
    .option('--json', '')
    .action((file: unknown, o: Record<string, unknown>) => {
      const opts = { keys: o.keys === true, json: o.json === true };
      action = async () => snapshot(String(file), opts, await snapshotDescriber(io), out);
    });

  try {
    const parsed = cli.parse(['node', 'segdump', ...args], { run: false });
    const name = cli.matchedCommandName;
    if (parsed.options.help) {
      io.stdout((name ? COMMAND_HELP[name] : undefined) ?? GLOBAL_HELP);
      return 0;
    }
    if (!name) {
      if (parsed.args.length > 0) throw new UsageError(`unknown command "${parsed.args[0]}"`);
      io.stderr(GLOBAL_HELP);
      return 2;
    }
    cli.runMatchedCommand();
    const chosen = action as Action | null;
    if (chosen === null) throw new UsageError(`missing arguments for ${name}`);
    return await chosen();
  } catch (err) {
    if (isUsageError(err)) {
      out.flush();
      io.stderr(`segdump: ${(err as Error).message}\nRun "segdump --help" for usage.\n`);
      return 2;
    }
    throw err;
  } finally {
    out.flush();
  }
}

function isUsageError(err: unknown): boolean {
  return err instanceof UsageError || (err instanceof Error && err.name === 'CACError');
}

async function entryDescriber(io: SegdumpIo): Promise<EntryDescriber | null> {
  return io.describeEntry !== undefined ? io.describeEntry : describeEntry;
}

async function snapshotDescriber(io: SegdumpIo): Promise<SnapshotDescriber | null> {
  return io.describeSnapshot !== undefined ? io.describeSnapshot : describeSnapshot;
}

// cac turns numeric-looking values into numbers (and "0x10" into 16): check each option here.
function indexOption(v: unknown, name: string): number | null {
  if (v === undefined) return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`${name} wants a log index (a whole number >= 0), got ${JSON.stringify(v)}`);
  return n;
}

function typesOption(v: unknown): ReadonlySet<RecordKind> | null {
  if (v === undefined) return null;
  if (typeof v !== 'string') throw new UsageError(`--type wants one or more of ${RECORD_KINDS.join(', ')}`);
  const kinds = new Set<RecordKind>();
  for (const k of v.split(',').map((s) => s.trim())) {
    if (!(RECORD_KINDS as readonly string[]).includes(k)) {
      throw new UsageError(`--type: unknown record kind "${k}" (kinds: ${RECORD_KINDS.join(', ')})`);
    }
    kinds.add(k as RecordKind);
  }
  return kinds;
}

function keyOption(v: unknown): string {
  if (v === undefined) throw new UsageError('history needs --key PATH (the key whose changes to print)');
  const s = String(v);
  if (typeof v === 'boolean' || !s.startsWith('/'))
    throw new UsageError(`--key wants a key path starting with "/", got ${JSON.stringify(v)}`);
  return cleanPath(s);
}

function prefixOption(v: unknown): string | null {
  if (v === undefined) return null;
  const s = String(v);
  if (typeof v === 'boolean' || !s.startsWith('/'))
    throw new UsageError(`--prefix wants a key path starting with "/", got ${JSON.stringify(v)}`);
  return s;
}
