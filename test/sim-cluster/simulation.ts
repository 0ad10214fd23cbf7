// One seed of the whole-cluster simulation: three to five complete members
// (lib/server's real parts: raft node, proposer, reads, applier, store) on a
// simulated disk and network, driven by one seeded event queue on virtual
// time. Clients write, compare-and-swap, delete, read (quorum and local) and
// watch; a nemesis crashes members (one, or all at once), restarts them,
// partitions the network and heals it. Then everything heals and settles, a
// final quorum read of every key is taken, and the checkers judge.

import type { Entry, MemberId } from '../../lib/raft/types.js';
import { asIndex, asTerm, NO_MEMBER } from '../../lib/raft/types.js';
import { SeededRandom, sleep, VirtualTime } from '../../lib/runtime/index.js';
import { computeClusterId, computeMemberId } from '../../lib/server/ids.js';
import { encodeMembershipChange } from '../../lib/proposal/index.js';
import { V2Error, type Event } from '../../lib/store/index.js';
import { checkHistory, type Failure, type WatchLog } from './checks.js';
import { SimDisk } from './disk.js';
import { History, type Op, type OpCall } from './history.js';
import { SimNetwork, short } from './network.js';
import { SimMember } from './sim-member.js';

export type InjectedBug = 'stale-read' | 'ack-before-fsync' | 'reuse-proposal-id';
export const INJECTABLE: readonly InjectedBug[] = ['stale-read', 'ack-before-fsync', 'reuse-proposal-id'];

export interface SimulationOptions {
  readonly seed: number;
  readonly inject?: InjectedBug | null;
  /** Virtual milliseconds of workload and faults. */
  readonly chaosMs?: number;
}

export interface SimulationResult {
  readonly seed: number;
  readonly failures: readonly Failure[];
  readonly stats: Readonly<Record<string, number>>;
  /** The last events before the end, one line each. */
  readonly trace: readonly string[];
}

const TRACE_LINES = 400;
const CLIENT_TIMEOUT_MS = 4000;
/** Far above a healthy run's (tens of thousands): beyond it the members are looping. */
const MAX_MESSAGES = 200_000;

export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const sim = new ClusterSimulation(o);
  return sim.run();
}

class ClusterSimulation {
  private readonly rng: SeededRandom;
  private readonly time = new VirtualTime();
  private readonly network: SimNetwork;
  private readonly members: SimMember[] = [];
  private readonly history = new History();
  private readonly traceRing: { at: number; line: () => string }[] = [];
  private readonly failures: Failure[] = [];
  /** Every entry applied, by member: index → entry. */
  private readonly appliedBy = new Map<MemberId, Map<number, Entry>>();
  private readonly watches: WatchLog[] = [];
  private readonly keys: string[];
  private readonly stats: Record<string, number> = {
    crashes: 0,
    powerLosses: 0,
    partitions: 0,
    restarts: 0,
    lostRecords: 0,
    fsyncFailures: 0,
  };
  private chaosOver = false;
  private valueSeq = 0;

  constructor(private readonly o: SimulationOptions) {
    this.rng = new SeededRandom(o.seed);
    const rng = this.rng;
    this.network = new SimNetwork(
      this.time,
      new SeededRandom(o.seed ^ 0x5eed),
      {
        dropRate: rng.pick([0, 0.01, 0.05]),
        duplicateRate: rng.pick([0, 0.01, 0.03]),
        delayMs: rng.pick([
          [1, 5],
          [1, 20],
          [5, 60],
        ] as const),
        lateRate: 0.05,
      },
      (l) => this.trace(l),
    );
    const size = rng.pick([3, 3, 5]);
    this.keys = Array.from({ length: rng.pick([2, 3, 4]) }, (_, i) => `/k${i}`);
    const names = Array.from({ length: size }, (_, i) => `m${i + 1}`);
    const ids = names.map((n) => computeMemberId([`http://${n}:2380`], 'sim'));
    const clusterId = computeClusterId(ids);
    const named = names.map((name) => ({ name, id: computeMemberId([`http://${name}:2380`], 'sim') }));
    const sorted = [...named].sort((a, b) => (a.id < b.id ? -1 : 1));
    const bootstrap: Entry[] = sorted.map((m, i) => ({
      term: asTerm(1),
      index: asIndex(i + 1),
      type: 'confChange',
      data: encodeMembershipChange({
        type: 'add',
        id: m.id,
        name: m.name,
        peerURLs: [`http://${m.name}:2380`],
        origin: '',
        seq: 0,
      }),
    }));
    const snapshotCount = rng.pick([20, 50, 200]);
    named.forEach(({ name, id }, i) => {
      const disk = new SimDisk(
        new SeededRandom(o.seed * 31 + i),
        {
          fsyncFailure: rng.chance(0.2) ? 0.002 : 0,
          fsyncMs: rng.pick([
            [0, 2],
            [1, 10],
            [5, 40],
          ] as const),
          lies: o.inject === 'ack-before-fsync',
        },
        (l) => this.trace(() => `${name}${l()}`),
      );
      disk.format(bootstrap, { term: asTerm(1), vote: NO_MEMBER, commit: asIndex(bootstrap.length) });
      this.appliedBy.set(id, new Map());
      this.members.push(
        new SimMember({
          id,
          name,
          clusterId,
          disk,
          time: this.time,
          network: this.network,
          seed: o.seed,
          skewMs: rng.below(50),
          snapshotCount,
          forgetIds: o.inject === 'reuse-proposal-id',
          observe: (member, e) => this.observeApply(member, e),
          onFatal: (member, err) =>
            this.fail('fatal', `${this.nameOf(member)} stopped on a broken invariant: ${err.message}`),
        }),
      );
    });
  }

  async run(): Promise<SimulationResult> {
    const chaosMs = this.o.chaosMs ?? 20_000;
    for (const m of this.members) this.startMember(m);
    const clients = Array.from({ length: this.rng.pick([3, 4, 6]) }, (_, i) => this.client(i, chaosMs));
    void this.nemesis(chaosMs);
    const done = Promise.all(clients).then(() => this.finish());
    let finished = false;
    void done.then(() => (finished = true));
    // Drive the event queue; between two callbacks every promise continuation runs (setImmediate comes after all microtasks).
    for (let steps = 0; !finished && steps < 5_000_000; steps++) {
      if (!this.time.runNext()) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      if (this.failures.some((f) => f.kind === 'fatal')) break;
      if (this.network.delivered > MAX_MESSAGES) {
        this.fail(
          'no progress',
          `more than ${MAX_MESSAGES} peer messages in one run: the members are stuck in a message storm`,
        );
        break;
      }
    }
    if (finished) this.failures.push(...checkHistory(this.history, this.watches, this.appliedBy, this.keys));
    else if (this.failures.length === 0) this.fail('stuck', 'the simulation did not finish');
    return {
      seed: this.o.seed,
      failures: this.failures,
      stats: {
        ...this.stats,
        ops: this.history.ops.length,
        localReads: this.history.localReads.length,
        virtualMs: this.time.elapsed,
        delivered: this.network.delivered,
        dropped: this.network.dropped,
      },
      trace: this.traceRing.map((t) => `${String(t.at).padStart(6)} ${t.line()}`),
    };
  }

  // ---- members ----

  private nameOf(id: string): string {
    return this.members.find((m) => m.id === id)?.cfg.name ?? short(id);
  }

  private startMember(m: SimMember): void {
    m.start();
    this.trace(() => `${m.cfg.name}: started (process ${m.incarnation})`);
    this.watch(m);
  }

  private crash(m: SimMember): void {
    const { lostRecords } = m.crash();
    this.count('crashes');
    this.count('lostRecords', lostRecords);
    this.trace(() => `${m.cfg.name}: CRASH (lost ${lostRecords} unsynced records)`);
  }

  private count(what: string, n = 1): void {
    this.stats[what] = (this.stats[what] ?? 0) + n;
  }

  private observeApply(member: MemberId, e: Entry): void {
    this.appliedBy.get(member)?.set(e.index, e);
  }

  // ---- the nemesis ----

  private async nemesis(chaosMs: number): Promise<void> {
    const rng = this.rng;
    while (this.time.elapsed < chaosMs) {
      await sleep(this.time, 300 + rng.below(1500));
      if (this.time.elapsed >= chaosMs) break;
      const down = this.members.filter((m) => !m.up);
      const up = this.members.filter((m) => m.up);
      for (const m of up) {
        // A member whose disk failed refuses requests; its operator restarts it.
        if ((await m.member?.unhealthyReason())?.startsWith('write-ahead log failed')) {
          this.count('fsyncFailures');
          this.crash(m);
        }
      }
      const roll = rng.next();
      if (roll < 0.3 && down.length > 0) {
        const m = rng.pick(down);
        this.count('restarts');
        this.startMember(m);
      } else if (roll < 0.5 && up.length > 0) {
        this.crash(rng.pick(up));
      } else if (roll < 0.56) {
        this.count('powerLosses');
        this.trace(() => 'POWER LOSS: every member crashes');
        for (const m of this.members.filter((x) => x.up)) this.crash(m);
        await sleep(this.time, 100 + rng.below(500));
        for (const m of this.members) this.startMember(m);
      } else if (roll < 0.8) {
        this.count('partitions');
        const shuffled = [...this.members].sort(() => rng.next() - 0.5);
        const cut = 1 + rng.below(shuffled.length - 1);
        this.network.partition([shuffled.slice(0, cut).map((m) => m.id), shuffled.slice(cut).map((m) => m.id)]);
      } else {
        this.network.heal();
      }
    }
    this.chaosOver = true;
  }

  // ---- clients ----

  private async client(n: number, chaosMs: number): Promise<void> {
    const rng = new SeededRandom(this.o.seed * 1000 + n);
    let lastSeen: string | null = null;
    while (this.time.elapsed < chaosMs) {
      await sleep(this.time, rng.below(40));
      const up = this.members.filter((m) => m.up);
      if (up.length === 0) {
        await sleep(this.time, 100);
        continue;
      }
      const target = rng.pick(up);
      const key = rng.pick(this.keys);
      const roll = rng.next();
      const value = `v${++this.valueSeq}`;
      let call: OpCall;
      if (roll < 0.3) call = { f: 'write', value };
      else if (roll < 0.45 && lastSeen !== null) call = { f: 'cas', from: lastSeen, to: value };
      else if (roll < 0.55) call = { f: 'delete' };
      else call = { f: 'read' };
      const local = call.f === 'read' && roll > 0.85;
      const seen = await this.perform(n, target, key, call, local);
      if (seen !== undefined && seen !== null) lastSeen = seen;
    }
  }

  /** Runs one operation and records it; returns the value it saw or wrote (undefined when unknown). */
  private async perform(
    client: number,
    target: SimMember,
    key: string,
    call: OpCall,
    local: boolean,
  ): Promise<string | null | undefined> {
    const member = target.member;
    if (member === null) return undefined;
    const op = this.history.invoke(client, target.cfg.name, key, call, this.time.elapsed, local);
    this.trace(
      () =>
        `client ${client} → ${target.cfg.name}: ${call.f} ${key}${call.f === 'write' ? ` ${call.value}` : call.f === 'cas' ? ` ${call.from}→${call.to}` : ''}${local ? ' (local)' : ''}`,
    );
    let pending: Promise<Event>;
    switch (call.f) {
      case 'write':
        pending = member.write({ op: 'put', path: key, value: call.value, dir: false, ttl: null, refresh: false });
        break;
      case 'cas':
        pending = member.write({
          op: 'put',
          path: key,
          value: call.to,
          dir: false,
          ttl: null,
          refresh: false,
          prevValue: call.from,
        });
        break;
      case 'delete':
        pending = member.write({ op: 'delete', path: key, dir: false, recursive: false });
        break;
      case 'read': {
        // The planted stale-read bug: a quorum read served from the local tree.
        const quorum = !local && this.o.inject !== 'stale-read';
        pending = member.read(key, { recursive: false, sorted: false, quorum });
        break;
      }
    }
    const r = await settleWithin(this.time, pending, CLIENT_TIMEOUT_MS);
    const now = this.time.elapsed;
    if (r.kind === 'timeout') {
      this.history.complete(op, { type: 'info' }, now);
      return undefined;
    }
    if (r.kind === 'ok' && !isEvent(r.value)) {
      this.fail(
        'wrong answer',
        `${describeCall(client, target.cfg.name, key, call)} was answered with ${JSON.stringify(r.value)}, not an event`,
      );
      this.history.complete(op, { type: 'info' }, now);
      return undefined;
    }
    if (r.kind === 'ok') {
      const ev = r.value;
      const index = ev.node.modifiedIndex ?? null;
      const problem = answerProblem(call, key, ev);
      if (problem)
        this.fail('wrong answer', `${describeCall(client, target.cfg.name, key, call)} was answered with ${problem}`);
      const value = call.f === 'delete' ? null : (ev.node.value ?? null);
      this.history.complete(op, { type: 'ok', value }, now, call.f === 'read' ? null : index);
      this.trace(
        () =>
          `client ${client} ← ${target.cfg.name}: ${call.f} ${key} ok${call.f === 'read' ? ` = ${value}` : ''} index ${index}`,
      );
      return value;
    }
    const err = r.error;
    const code = err instanceof V2Error ? err.errorCode : -1;
    if (call.f === 'read') {
      if (code === 100) {
        this.history.complete(op, { type: 'ok', value: null }, now);
        return null;
      }
      // A read that failed had no effect: it is left out.
      this.history.complete(op, { type: 'info' }, now);
      return undefined;
    }
    if ((call.f === 'cas' && (code === 101 || code === 100)) || (call.f === 'delete' && code === 100)) {
      this.history.complete(op, { type: 'fail' }, now);
      this.trace(() => `client ${client} ← ${target.cfg.name}: ${call.f} ${key} failed (${code})`);
      return undefined;
    }
    this.trace(
      () =>
        `client ${client} ← ${target.cfg.name}: ${call.f} ${key} unknown (${err instanceof V2Error ? err.cause : String(err)})`,
    );
    this.history.complete(op, { type: 'info' }, now);
    return undefined;
  }

  // ---- watches ----

  /** A watcher per member process, resuming after the last event it saw (as a reconnecting client does). */
  private watch(m: SimMember): void {
    const member = m.member;
    if (!member) return;
    let log = this.watches.find((w) => w.member === m.cfg.name);
    if (!log) this.watches.push((log = { member: m.cfg.name, events: [], resets: 0 }));
    const w = log;
    const incarnation = m.incarnation;
    const since = w.events.at(-1)?.index;
    const start = (sinceIndex: number | null): void => {
      try {
        member.watch(
          '/',
          { recursive: true, stream: true, sinceIndex },
          (e) => {
            const index = e.node.modifiedIndex ?? 0;
            w.events.push({
              index,
              what: `${e.action} ${e.node.key} ${e.node.value ?? ''}`,
              afterReset: w.pendingReset === true,
            });
            w.pendingReset = false;
          },
          () => {
            // The member ended the watch (a snapshot replaced its tree): watch again from the next index.
            if (m.incarnation === incarnation && m.member === member)
              this.time.soon(() => start((w.events.at(-1)?.index ?? 0) + 1));
          },
        );
      } catch (err) {
        if (err instanceof V2Error && err.errorCode === 401) {
          // The history no longer holds the next event: a client starts over, knowingly skipping.
          w.resets++;
          w.pendingReset = true;
          start(null);
        } else throw err;
      }
    };
    start(since === undefined ? null : since + 1);
  }

  // ---- the end ----

  private async finish(): Promise<void> {
    while (!this.chaosOver) await sleep(this.time, 100);
    this.network.heal();
    for (const m of this.members) if (!m.up) this.startMember(m);
    this.trace(() => 'SETTLE: network healed, every member up');
    await sleep(this.time, 8000);
    // One final quorum read of every key: every acknowledged write must show in these.
    for (const key of this.keys) {
      let done = false;
      for (let attempt = 0; attempt < 20 && !done; attempt++) {
        const target = this.members[attempt % this.members.length];
        const value = target === undefined ? undefined : await this.perform(-1, target, key, { f: 'read' }, false);
        done = this.history.ops.at(-1)?.outcome.type === 'ok' && value !== undefined;
        if (!done) await sleep(this.time, 500);
      }
      if (!done) this.fail('no progress', `the final quorum read of ${key} never succeeded after the cluster healed`);
    }
  }

  // ---- reporting ----

  private fail(kind: Failure['kind'], message: string): void {
    this.failures.push({ kind, message });
    this.trace(() => `FAILURE ${kind}: ${message}`);
  }

  private trace(line: () => string): void {
    this.traceRing.push({ at: this.time.elapsed, line });
    if (this.traceRing.length > TRACE_LINES) this.traceRing.shift();
  }
}

type Settled<T> = { kind: 'ok'; value: T } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

function settleWithin<T>(time: VirtualTime, p: Promise<T>, ms: number): Promise<Settled<T>> {
  return new Promise((resolve) => {
    let done = false;
    const timer = time.after(ms, () => {
      if (!done) ((done = true), resolve({ kind: 'timeout' }));
    });
    p.then(
      (value) => {
        if (!done) ((done = true), timer.cancel(), resolve({ kind: 'ok', value }));
      },
      (error: unknown) => {
        if (!done) ((done = true), timer.cancel(), resolve({ kind: 'error', error }));
      },
    );
  });
}

function isEvent(v: unknown): v is Event {
  return typeof v === 'object' && v !== null && 'action' in v && 'node' in v;
}

/** What is wrong with an answer, when it is not the answer to this request. */
function answerProblem(call: OpCall, key: string, ev: Event): string | null {
  if (ev.node.key !== key) return `an event of ${ev.node.key}`;
  switch (call.f) {
    case 'write':
      return ev.action === 'set' && ev.node.value === call.value ? null : `${ev.action} ${ev.node.value}`;
    case 'cas':
      return ev.action === 'compareAndSwap' && ev.node.value === call.to ? null : `${ev.action} ${ev.node.value}`;
    case 'delete':
      return ev.action === 'delete' ? null : `${ev.action}`;
    case 'read':
      return ev.action === 'get' ? null : `${ev.action}`;
  }
}

function describeCall(client: number, member: string, key: string, call: OpCall): string {
  return `client ${client}'s ${call.f} of ${key}${call.f === 'write' ? ` = ${call.value}` : call.f === 'cas' ? ` ${call.from}→${call.to}` : ''} on ${member}`;
}

export type { Op };
