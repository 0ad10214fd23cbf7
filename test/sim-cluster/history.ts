// What the simulated clients did and saw, in virtual time: the history the
// checkers judge.

export type OpCall =
  | { readonly f: 'write'; readonly value: string }
  | { readonly f: 'cas'; readonly from: string; readonly to: string }
  | { readonly f: 'delete' }
  | { readonly f: 'read' };

/**
 * ok: the operation took effect (a read: with this value, null for "key not found");
 * fail: it certainly did not (a compare that failed, a key that was not there);
 * info: unknown (a timeout, a crash of the member it was sent to): it may have
 * taken effect at any time after its call.
 */
export type Outcome =
  { readonly type: 'ok'; readonly value: string | null } | { readonly type: 'fail' } | { readonly type: 'info' };

export interface Op {
  readonly id: number;
  readonly client: number;
  readonly member: string;
  readonly key: string;
  readonly call: OpCall;
  readonly invokedAt: number;
  completedAt: number;
  outcome: Outcome;
  /** The store index the member answered with (a mutation's modifiedIndex). */
  index: number | null;
}

export class History {
  readonly ops: Op[] = [];
  /** Local (non-quorum) reads: checked apart, they may be stale. */
  readonly localReads: Op[] = [];

  invoke(client: number, member: string, key: string, call: OpCall, now: number, local = false): Op {
    const op: Op = {
      id: this.ops.length + this.localReads.length,
      client,
      member,
      key,
      call,
      invokedAt: now,
      completedAt: Infinity,
      outcome: { type: 'info' },
      index: null,
    };
    (local ? this.localReads : this.ops).push(op);
    return op;
  }

  complete(op: Op, outcome: Outcome, now: number, index: number | null = null): void {
    op.outcome = outcome;
    op.completedAt = outcome.type === 'info' ? Infinity : now;
    op.index = index;
  }

  byKey(): Map<string, Op[]> {
    const m = new Map<string, Op[]>();
    for (const op of this.ops) {
      let list = m.get(op.key);
      if (!list) m.set(op.key, (list = []));
      list.push(op);
    }
    return m;
  }
}

export function describeOp(op: Op): string {
  const c = op.call;
  const what = c.f === 'write' ? `write ${c.value}` : c.f === 'cas' ? `cas ${c.from}→${c.to}` : c.f;
  const o = op.outcome;
  const result = o.type === 'ok' ? (c.f === 'read' ? `= ${o.value ?? 'none'}` : 'ok') : o.type;
  const end = op.completedAt === Infinity ? '∞' : String(op.completedAt);
  return `#${op.id} c${op.client}@${op.member.slice(-4)} ${op.key} ${what} ${result} [${op.invokedAt}, ${end}]${op.index !== null ? ` index ${op.index}` : ''}`;
}
