// The checkers a simulated history must pass:
// - every key's quorum operations are linearizable (checkRegister);
// - no acknowledged write is lost: the final quorum read shows the last
//   acknowledged mutation of a key that nothing could have overwritten;
// - local reads may be stale, but never return a value nobody had started
//   to write by the time they answered;
// - watches skip no event and agree with each other and with the answers;
// - every member applied the same entry at each index, no request id
//   (proposer, sequence) was given to two requests, and no proposal was
//   committed twice.

import type { Entry, MemberId } from '../../lib/raft/types.js';
import { decodeMembershipChange, decodeProposal } from '../../lib/proposal/index.js';
import { describeOp, type History, type Op } from './history.js';
import { checkRegister } from './linearizability.js';

export interface Failure {
  readonly kind:
    | 'fatal'
    | 'stuck'
    | 'no progress'
    | 'wrong answer'
    | 'not linearizable'
    | 'lost write'
    | 'invented read'
    | 'watch gap'
    | 'watch disagrees'
    | 'state diverged'
    | 'request id reused'
    | 'proposal applied twice'
    | 'checker gave up';
  readonly message: string;
}

export interface WatchEvent {
  readonly index: number;
  readonly what: string;
  /** The first event after the watcher started over (its history was cleared): a gap before it is expected. */
  readonly afterReset: boolean;
}

export interface WatchLog {
  readonly member: string;
  readonly events: WatchEvent[];
  resets: number;
  pendingReset?: boolean;
}

const mutates = (op: Op): boolean => op.call.f !== 'read' && op.outcome.type !== 'fail';

export function checkHistory(
  history: History,
  watches: readonly WatchLog[],
  appliedBy: ReadonlyMap<MemberId, ReadonlyMap<number, Entry>>,
  keys: readonly string[],
): Failure[] {
  const failures: Failure[] = [];
  const byKey = history.byKey();
  for (const key of keys) {
    const ops = (byKey.get(key) ?? []).filter((op) => !(op.call.f === 'read' && op.outcome.type !== 'ok'));
    const verdict = checkRegister(ops);
    if (verdict.ok === 'unknown') failures.push({ kind: 'checker gave up', message: `${key}: ${verdict.reason}` });
    else if (!verdict.ok) {
      const stuck = verdict.stuckAt;
      const near = ops
        .filter((op) => op.completedAt >= stuck.invokedAt - 300 && op.invokedAt <= stuck.completedAt)
        .slice(-20);
      failures.push({
        kind: 'not linearizable',
        message: `${key}: no order of its operations explains ${describeOp(stuck)}; operations around it:\n${near.map((op) => `      ${describeOp(op)}`).join('\n')}`,
      });
    }
    failures.push(...lostWrites(key, byKey.get(key) ?? []));
  }
  failures.push(...inventedLocalReads(history));
  failures.push(...watchProblems(watches, history));
  failures.push(...appliedProblems(appliedBy));
  return failures;
}

/** An acknowledged mutation that no other could follow must be what the final read shows. */
function lostWrites(key: string, ops: readonly Op[]): Failure[] {
  const final = ops.filter((op) => op.client === -1 && op.outcome.type === 'ok').at(-1);
  if (!final || final.outcome.type !== 'ok') return [];
  const shown = final.outcome.value;
  const out: Failure[] = [];
  for (const w of ops) {
    if (w.outcome.type !== 'ok' || w.call.f === 'read') continue;
    const overwritable = ops.some((o) => o !== w && mutates(o) && o.completedAt > w.invokedAt && o.client !== -1);
    if (overwritable) continue;
    const expected = w.call.f === 'write' ? w.call.value : w.call.f === 'cas' ? w.call.to : null;
    if (shown !== expected) {
      out.push({
        kind: 'lost write',
        message: `${key}: ${describeOp(w)} was acknowledged and nothing could overwrite it, yet the final quorum read shows ${shown ?? 'no key'}`,
      });
    }
  }
  return out;
}

function inventedLocalReads(history: History): Failure[] {
  const writtenAt = new Map<string, number>();
  for (const op of history.ops) {
    const v = op.call.f === 'write' ? op.call.value : op.call.f === 'cas' ? op.call.to : null;
    if (v !== null) writtenAt.set(`${op.key}=${v}`, op.invokedAt);
  }
  const out: Failure[] = [];
  for (const r of history.localReads) {
    if (r.outcome.type !== 'ok' || r.outcome.value === null) continue;
    const at = writtenAt.get(`${r.key}=${r.outcome.value}`);
    if (at === undefined || at > r.completedAt)
      out.push({
        kind: 'invented read',
        message: `${describeOp(r)}: no write of that value ${at === undefined ? 'exists' : `had started (it started at ${at})`}`,
      });
  }
  return out;
}

function watchProblems(watches: readonly WatchLog[], history: History): Failure[] {
  const out: Failure[] = [];
  const global = new Map<number, { what: string; member: string }>();
  for (const w of watches) {
    let prev: number | null = null;
    for (const e of w.events) {
      if (prev !== null && !e.afterReset && e.index !== prev + 1) {
        out.push({
          kind: 'watch gap',
          message: `the watcher on ${w.member} saw index ${e.index} after ${prev}: ${e.index > prev ? 'events skipped' : 'an event again or out of order'}`,
        });
        break;
      }
      prev = e.index;
      const known = global.get(e.index);
      if (!known) global.set(e.index, { what: e.what, member: w.member });
      else if (known.what !== e.what) {
        out.push({
          kind: 'watch disagrees',
          message: `index ${e.index}: the watcher on ${w.member} saw "${e.what}", the one on ${known.member} "${known.what}"`,
        });
        break;
      }
    }
  }
  for (const op of history.ops) {
    if (op.outcome.type !== 'ok' || op.index === null || op.call.f === 'read') continue;
    const seen = global.get(op.index);
    if (!seen) continue;
    const expected =
      op.call.f === 'write'
        ? `set ${op.key} ${op.call.value}`
        : op.call.f === 'cas'
          ? `compareAndSwap ${op.key} ${op.call.to}`
          : `delete ${op.key} `;
    if (seen.what !== expected)
      out.push({
        kind: 'watch disagrees',
        message: `${describeOp(op)} was answered with index ${op.index}, where the watcher on ${seen.member} saw "${seen.what}"`,
      });
  }
  return out;
}

function appliedProblems(appliedBy: ReadonlyMap<MemberId, ReadonlyMap<number, Entry>>): Failure[] {
  const out: Failure[] = [];
  const canonical = new Map<number, { e: Entry; member: MemberId }>();
  for (const [member, entries] of appliedBy) {
    for (const [index, e] of entries) {
      const known = canonical.get(index);
      if (!known) canonical.set(index, { e, member });
      else if (known.e.term !== e.term || !known.e.data.equals(e.data)) {
        out.push({
          kind: 'state diverged',
          message: `at index ${index} member ${member} applied an entry of term ${e.term}, member ${known.member} one of term ${known.e.term}`,
        });
        return out;
      }
    }
  }
  const ids = new Map<string, { index: number; data: Buffer }>();
  for (const [index, { e }] of [...canonical].sort((a, b) => a[0] - b[0])) {
    let origin: string;
    let seq: number;
    if (e.type === 'normal') ({ origin, seq } = decodeProposal(e.data));
    else if (e.type === 'confChange') ({ origin, seq } = decodeMembershipChange(e.data));
    else continue;
    if (seq === 0) continue;
    const id = `${origin}/${seq}`;
    const first = ids.get(id);
    if (first !== undefined) {
      out.push(
        first.data.equals(e.data)
          ? {
              kind: 'proposal applied twice',
              message: `the proposal with request id ${seq} of ${origin} was committed at index ${first.index} and again at ${index}`,
            }
          : {
              kind: 'request id reused',
              message: `request id ${seq} of ${origin} was given to two requests, committed at indexes ${first.index} and ${index}: the second may answer the first's client`,
            },
      );
      return out;
    }
    ids.set(id, { index, data: e.data });
  }
  return out;
}
