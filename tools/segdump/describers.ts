// The server knows what an entry's bytes and a snapshot's bytes mean; segdump
// borrows that knowledge when the server's modules are there and shows raw
// bytes when they are not. Only a missing module falls back: a module that is
// there but broken is an error worth seeing.

import { fileURLToPath } from 'node:url';
import type { EntryType } from '../../lib/raft/types.js';

/** Maps an entry's data to fields such as time, method, path, value, ttl, prevValue. */
export type EntryDescriber = (data: Buffer, type: EntryType) => Record<string, unknown>;

export interface SnapshotDescription {
  readonly keys: number;
  list(): Iterable<string>;
}
export type SnapshotDescriber = (data: Buffer) => SnapshotDescription;

export const PROPOSAL_MODULE = new URL('../../lib/server/proposal.js', import.meta.url);
export const SNAPSHOT_DESCRIBE_MODULE = new URL('../../lib/server/snapshot-describe.js', import.meta.url);

/** The named export of an optional module, or null when the module does not exist. */
export async function loadOptional<T>(module: URL, exportName: string): Promise<T | null> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(module.href)) as Record<string, unknown>;
  } catch (err) {
    if (isThisModuleMissing(err, module)) return null;
    throw err;
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new Error(`${fileURLToPath(module)} does not export a function ${exportName}`);
  return fn as T;
}

function isThisModuleMissing(err: unknown, module: URL): boolean {
  const e = err as { code?: string; url?: string; message?: string };
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') return false;
  if (e.url === module.href) return true;
  // Without the url property, tell "this module is missing" from "something it imports is missing".
  const path = fileURLToPath(module).replace(/\.js$/, '');
  return typeof e.message === 'string' && e.message.includes(`'${path}`);
}

export const loadEntryDescriber = (): Promise<EntryDescriber | null> =>
  loadOptional<EntryDescriber>(PROPOSAL_MODULE, 'describeProposal');

export const loadSnapshotDescriber = (): Promise<SnapshotDescriber | null> =>
  loadOptional<SnapshotDescriber>(SNAPSHOT_DESCRIBE_MODULE, 'describeSnapshotData');
