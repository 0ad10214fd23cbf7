import fs from 'node:fs';
import { listSnapshotFiles } from '../../lib/storage/index.js';
import { readSnapshotFile, StorageError } from '../../lib/storage/index.js';
import { resolveDataDir, UsageError } from './data-dir.js';
import type { SnapshotDescriber, SnapshotDescription } from './describers.js';
import { formatBytes } from './format.js';
import type { Output } from './output.js';

export interface SnapshotOptions {
  readonly keys: boolean;
  readonly json: boolean;
}

/** A snapshot file, or the newest one of a data directory. */
function pickFile(arg: string): string {
  const st = fs.statSync(arg, { throwIfNoEntry: false });
  if (!st) throw new UsageError(`${arg} does not exist`);
  if (!st.isDirectory()) return arg;
  const [newest] = listSnapshotFiles(resolveDataDir(arg));
  if (newest === undefined) throw new UsageError(`${arg} holds no snapshot files`);
  return newest.path;
}

/** `segdump snapshot`: metadata, size and (with the server's describer) keys. Exit 1 if the file is bad. */
export function snapshot(arg: string, opts: SnapshotOptions, describe: SnapshotDescriber | null, out: Output): number {
  const file = pickFile(arg);
  let s;
  try {
    s = readSnapshotFile(file);
  } catch (err) {
    if (!(err instanceof StorageError)) throw err;
    if (opts.json) out.line(JSON.stringify({ file, valid: false, problem: err.message }));
    else out.line(`INVALID: ${err.message}`);
    return 1;
  }
  let described: SnapshotDescription | null = null;
  let describeError: string | null = null;
  if (describe) {
    try {
      described = describe(s.data);
    } catch (err) {
      describeError = (err as Error).message;
    }
  }
  const keysNote = described
    ? String(described.keys)
    : describe === null
      ? 'unknown (no snapshot describer)'
      : `unknown (the data does not decode: ${describeError})`;

  if (opts.json) {
    out.line(
      JSON.stringify({
        file,
        valid: true,
        index: s.meta.index,
        term: s.meta.term,
        voters: s.meta.conf.voters,
        dataBytes: s.data.length,
        ...(described && { keys: described.keys }),
        ...(described?.auth && { auth: described.auth }),
        ...(describeError !== null && { describeError }),
      }),
    );
    if (opts.keys && described) for (const k of described.list()) out.line(JSON.stringify({ key: k }));
  } else {
    out.line(`file:    ${file}`);
    out.line(`index:   ${s.meta.index}`);
    out.line(`term:    ${s.meta.term}`);
    out.line(`voters:  ${s.meta.conf.voters.length === 0 ? '(none)' : s.meta.conf.voters.join(', ')}`);
    out.line(`data:    ${s.data.length} bytes (${formatBytes(s.data.length)})`);
    out.line('status:  ok (CRC checks)');
    out.line(`keys:    ${keysNote}`);
    const auth = described?.auth;
    if (auth) {
      const users = auth.users.map(
        (u) => `${u.user}${u.roles && u.roles.length > 0 ? ` (${u.roles.join(', ')})` : ''}`,
      );
      out.line(
        `auth:    ${auth.enabled ? 'enabled' : 'disabled'}; users: ${users.length === 0 ? '(none)' : users.join(', ')}; roles: ${auth.roles.length === 0 ? '(none)' : auth.roles.map((r) => r.role).join(', ')}`,
      );
    }
    if (opts.keys && described) for (const k of described.list()) out.line(k);
  }
  if (opts.keys && !described) {
    throw new UsageError(`--keys needs the server's snapshot describer: keys ${keysNote}`);
  }
  return 0;
}
