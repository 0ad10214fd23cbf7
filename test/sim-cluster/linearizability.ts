// A linearizability checker for one register (one key) in the manner of
// Wing & Gong with Lowe's memoisation (the algorithm behind Knossos and
// Porcupine): it searches for an order of the operations that respects real
// time (an operation that returned before another was called comes first)
// and in which every result is what a single copy of the register gives.
// Keys are independent registers, so a history is linearizable when each
// key's is (linearizability is compositional).

import type { Op } from './history.js';

type State = string | null;

/** The register's answer to op in state s: the next state, or null when op's recorded result is impossible there. */
function step(s: State, op: Op): { next: State } | null {
  const c = op.call;
  const o = op.outcome;
  switch (c.f) {
    case 'read':
      return o.type === 'ok' && o.value === s ? { next: s } : null;
    case 'write':
      return { next: c.value };
    case 'cas':
      if (o.type === 'ok') return s === c.from ? { next: c.to } : null;
      if (o.type === 'fail') return s !== c.from ? { next: s } : null;
      return { next: s === c.from ? c.to : s };
    case 'delete':
      if (o.type === 'ok') return s !== null ? { next: null } : null;
      if (o.type === 'fail') return s === null ? { next: s } : null;
      return { next: null };
  }
}

interface Node {
  readonly op: Op;
  readonly index: number;
  readonly isCall: boolean;
  match: Node | null;
  prev: Node | null;
  next: Node | null;
}

export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly stuckAt: Op; readonly linearized: readonly Op[] }
  | { readonly ok: 'unknown'; readonly reason: string };

/** Checks one key's operations (reads that failed or timed out must be left out: they have no effect). */
export function checkRegister(ops: readonly Op[], initial: State = null, budget = 2_000_000): Verdict {
  const events: { op: Op; index: number; isCall: boolean; at: number }[] = [];
  ops.forEach((op, index) => {
    events.push({ op, index, isCall: true, at: op.invokedAt });
    events.push({ op, index, isCall: false, at: op.completedAt });
  });
  // At the same instant, calls come first: operations that touch in time are concurrent (the generous reading).
  events.sort((a, b) => a.at - b.at || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const first = ops[0];
  if (first === undefined) return { ok: true };
  const head: Node = { op: first, index: -1, isCall: false, match: null, prev: null, next: null };
  let last = head;
  const calls = new Map<number, Node>();
  for (const e of events) {
    const node: Node = { op: e.op, index: e.index, isCall: e.isCall, match: null, prev: last, next: null };
    last.next = node;
    last = node;
    if (e.isCall) calls.set(e.index, node);
    else {
      const call = calls.get(e.index);
      if (call === undefined) throw new Error('a return without its call');
      call.match = node;
      node.match = call;
    }
  }

  // Every node but the head has a prev, and every call its return: both are set above.
  const unlink = (n: Node): void => {
    if (n.prev) n.prev.next = n.next;
    if (n.next) n.next.prev = n.prev;
  };
  const relink = (n: Node): void => {
    if (n.prev) n.prev.next = n;
    if (n.next) n.next.prev = n;
  };
  const lift = (n: Node): void => {
    unlink(n);
    if (n.match) unlink(n.match);
  };
  const unlift = (n: Node): void => {
    if (n.match) relink(n.match);
    relink(n);
  };

  const words = Math.ceil(ops.length / 16) || 1;
  const bits = new Uint16Array(words);
  const cache = new Set<string>();
  const key = (s: State): string => String.fromCharCode(...bits) + '\u0000' + (s === null ? '\u0001' : s);
  const stack: { node: Node; state: State }[] = [];
  let state: State = initial;
  let entry = head.next;
  let longest: Node[] = [];
  for (let steps = 0; head.next !== null; steps++) {
    if (steps > budget) return { ok: 'unknown', reason: `gave up after ${budget} steps (${ops.length} operations)` };
    if (entry === null) break;
    if (entry.isCall) {
      const r = step(state, entry.op);
      if (r !== null) {
        setBit(bits, entry.index, true);
        const k = key(r.next);
        if (!cache.has(k)) {
          cache.add(k);
          stack.push({ node: entry, state });
          state = r.next;
          lift(entry);
          if (stack.length > longest.length) longest = stack.map((x) => x.node);
          entry = head.next;
          continue;
        }
        setBit(bits, entry.index, false);
      }
      entry = entry.next;
    } else {
      const top = stack.pop();
      if (top === undefined) return { ok: false, stuckAt: entry.op, linearized: longest.map((n) => n.op) };
      state = top.state;
      setBit(bits, top.node.index, false);
      unlift(top.node);
      entry = top.node.next;
    }
  }
  return { ok: true };
}

function setBit(bits: Uint16Array, i: number, on: boolean): void {
  const w = i >> 4;
  const mask = 1 << (i & 15);
  bits[w] = on ? (bits[w] ?? 0) | mask : (bits[w] ?? 0) & ~mask;
}
