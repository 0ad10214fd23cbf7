// `segdump history`: every change to a key the committed log records, one
// line each, replayed the way the member applied it (lib/history with
// lib/state's state machine), so the indexes and actions are those a watcher
// saw. Where the log starts after index 1, the oldest snapshot kept gives the
// key's state to start from.

import { historyCodec } from '../../lib/state/index.js';
import { replayLogChanges, type LogChange, type LogStart } from '../../lib/history/index.js';
import { StorageError } from '../../lib/storage/index.js';
import { matchesWatch, type Event, type NodeJSON, type Store } from '../../lib/store/index.js';
import { formatValue } from './format.js';
import type { Output } from './output.js';

export interface HistoryOptions {
  /** The key (cleaned: leading "/", no trailing one). */
  readonly key: string;
  /** Also every key below it. */
  readonly recursive: boolean;
  readonly json: boolean;
}

const VALUE_MAX = 60;
/** What the lines of the starting state say in the ACTION column: not an etcd action, a state. */
const SNAPSHOT_ACTION = 'snapshot';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Exit 0, or 1 when the log cannot be read to its end (what was read is printed). */
export async function history(dataDir: string, opts: HistoryOptions, out: Output): Promise<number> {
  let changes = 0;
  const text = !opts.json;
  const row = (index: number, raft: number, time: string | null, action: string, key: string, details: string) =>
    out.line(
      `${String(index).padStart(10)}  ${String(raft).padStart(10)}  ${(time ?? '-').padEnd(24)}  ${action.padEnd(16)}  ${key}${details === '' ? '' : '  ' + details}`,
    );
  const heading = () =>
    out.line(
      `${'INDEX'.padStart(10)}  ${'RAFT INDEX'.padStart(10)}  ${'TIME'.padEnd(24)}  ${'ACTION'.padEnd(16)}  KEY  DETAILS`,
    );
  try {
    const end = await replayLogChanges(dataDir, historyCodec, {
      start: (s) => {
        const nodes = s.snapshot === null ? [] : startingNodes(s.store, opts);
        if (text) {
          out.line(
            s.snapshot === null
              ? `# the log starts at index 1: every change to ${describeKey(opts)}`
              : `# the log starts after the snapshot ${s.snapshot} (raft index ${s.raftIndex}, store index ${s.storeIndex}); ` +
                  `its state of ${describeKey(opts)} first${nodes.length === 0 ? ': none' : ''}`,
          );
          heading();
        }
        for (const n of nodes) {
          if (opts.json) out.line(JSON.stringify({ ...snapshotLine(s), ...nodeFields(n) }));
          else row(n.modifiedIndex, s.raftIndex, null, SNAPSHOT_ACTION, n.key, nodeDetails(n));
        }
      },
      wants: (e) => matchesWatch(e, opts.key, opts.recursive),
      change: (c) => {
        changes++;
        if (opts.json) out.line(JSON.stringify(changeFields(c)));
        else row(c.event.node.modifiedIndex, c.raftIndex, iso(c.time), actionOf(c), c.event.node.key, changeDetails(c));
      },
    });
    if (text)
      out.line(
        `# ${changes} change${changes === 1 ? '' : 's'}; the committed log ends at raft index ${end.raftIndex} (store index ${end.storeIndex})`,
      );
    return 0;
  } catch (err) {
    if (!(err instanceof StorageError)) throw err;
    out.line(`${opts.json ? '' : '# '}cannot read further: ${err.message}`);
    return 1;
  }
}

function describeKey(opts: HistoryOptions): string {
  return opts.recursive ? `${opts.key} and every key below it` : opts.key;
}

/** The key (and with --recursive every node below it, hidden ones too) in the starting state, in key order. */
function startingNodes(store: Store, opts: HistoryOptions): NodeJSON[] {
  const below = opts.key === '/' ? '/' : opts.key + '/';
  const out: NodeJSON[] = [];
  for (const p of store.paths()) {
    const path = p.endsWith('/') ? p.slice(0, -1) : p;
    if (path === opts.key || (opts.recursive && path.startsWith(below))) {
      // A tool's read: the TTL left is not shown (the expiration is), so the clock passed does not matter.
      out.push(store.get(path, false, false, 0).node);
    }
  }
  return out;
}

function snapshotLine(s: LogStart): Record<string, unknown> {
  return { action: SNAPSHOT_ACTION, raftIndex: s.raftIndex, snapshotStoreIndex: s.storeIndex, snapshot: s.snapshot };
}

/** A change's action: etcd's name, and a refresh (only the TTL changed) marked as one. */
function actionOf(c: LogChange): string {
  return c.refresh ? `${c.event.action}(refresh)` : c.event.action;
}

function nodeFields(n: NodeJSON): Record<string, unknown> {
  return {
    index: n.modifiedIndex,
    key: n.key,
    ...(n.dir === true ? { dir: true } : { value: n.value }),
    ...(n.expiration !== undefined && { expiration: n.expiration }),
    createdIndex: n.createdIndex,
  };
}

function changeFields(c: LogChange): Record<string, unknown> {
  const e: Event = c.event;
  const n = e.node;
  return {
    index: n.modifiedIndex,
    raftIndex: c.raftIndex,
    time: iso(c.time),
    action: e.action,
    ...(c.refresh && { refresh: true }),
    key: n.key,
    ...(n.dir === true && { dir: true }),
    ...(n.value !== undefined && { value: n.value }),
    ...(n.expiration !== undefined && { expiration: n.expiration }),
    ...(e.prevNode !== undefined && {
      prevNode: {
        ...(e.prevNode.value !== undefined && { value: e.prevNode.value }),
        modifiedIndex: e.prevNode.modifiedIndex,
      },
    }),
  };
}

function nodeDetails(n: NodeJSON): string {
  const parts = [n.dir === true ? 'dir' : `value=${formatValue(n.value ?? '', VALUE_MAX)}`];
  if (n.expiration !== undefined) parts.push(`expiration=${n.expiration}`);
  return parts.join(' ');
}

function changeDetails(c: LogChange): string {
  const n = c.event.node;
  const parts: string[] = [];
  if (n.dir === true) parts.push('dir');
  else if (n.value !== undefined) parts.push(`value=${formatValue(n.value, VALUE_MAX)}`);
  if (n.expiration !== undefined) parts.push(`expiration=${n.expiration}`);
  const prev = c.event.prevNode;
  if (prev !== undefined && prev.value !== undefined) parts.push(`prevValue=${formatValue(prev.value, VALUE_MAX)}`);
  return parts.join(' ');
}
