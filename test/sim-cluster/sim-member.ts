// One simulated member: its disk survives crashes; each start is a new
// process built by lib/server's assembleMember from what the disk recovers,
// with the simulation's clock, scheduler, randomness and network. A crash
// ends the process at once: its timers never fire again and its pending
// disk writes and syncs never complete.

import pino from 'pino';
import { Metrics } from '../../lib/metrics/index.js';
import { asIndex, asTerm, type Entry, type MemberId } from '../../lib/raft/types.js';
import { SeededRandom, type Clock, type Scheduler, type VirtualTime } from '../../lib/runtime/index.js';
import { applyCommitted } from '../../lib/server/bootstrap.js';
import type { Member } from '../../lib/server/member.js';
import type { MemberOptions } from '../../lib/server/options.js';
import { ProposalIds } from '../../lib/server/proposal-ids.js';
import { assembleMember } from '../../lib/server/start.js';
import { MemberRegistry, StateMachine, type Applied } from '../../lib/state/index.js';
import type { SimDisk } from './disk.js';
import type { SimNetwork } from './network.js';

/** Metrics shared by every simulated process: nobody scrapes them, and collectors must not pile up. */
class SimMetrics extends Metrics {
  override onCollect(): void {}
}
let sharedMetrics: SimMetrics | null = null;
const silent = pino({ level: 'silent' });

/** Sees every entry any member applies (the checkers compare them across members). */
export type ApplyObserver = (member: MemberId, e: Entry) => void;

/** A state machine that reports each entry it applies. */
class ObservedStateMachine extends StateMachine {
  constructor(
    base: StateMachine,
    private readonly self: MemberId,
    private readonly observe: ApplyObserver,
  ) {
    super(base.store, base.registry);
  }

  override apply(e: Entry): Applied {
    this.observe(this.self, e);
    return super.apply(e);
  }
}

export interface SimMemberConfig {
  readonly id: MemberId;
  readonly name: string;
  readonly clusterId: string;
  readonly disk: SimDisk;
  readonly time: VirtualTime;
  readonly network: SimNetwork;
  readonly seed: number;
  /** Milliseconds this member's wall clock is off. */
  readonly skewMs: number;
  readonly snapshotCount: number;
  readonly observe: ApplyObserver;
  readonly onFatal: (id: MemberId, err: Error) => void;
  /** Injected bug: the proposal id reservation is lost at each crash. */
  readonly forgetIds: boolean;
}

export class SimMember {
  member: Member | null = null;
  incarnation = 0;
  starts = 0;

  constructor(readonly cfg: SimMemberConfig) {}

  get id(): MemberId {
    return this.cfg.id;
  }

  get up(): boolean {
    return this.member !== null;
  }

  start(): void {
    if (this.member) return;
    const c = this.cfg;
    const incarnation = ++this.incarnation;
    this.starts++;
    const alive = () => this.incarnation === incarnation && this.member !== null;
    const scheduler = processScheduler(c.time, alive);
    const clock: Clock = { now: () => c.time.now() + c.skewMs, monotonic: () => c.time.monotonic() };
    const random = new SeededRandom(c.seed * 7919 + incarnation * 104_729 + parseInt(c.id.slice(-4), 16));
    const { log, snapshots, ids, recovered } = c.disk.open(scheduler, c.forgetIds && this.starts > 1);
    const base = recovered.snapshot
      ? StateMachine.fromSnapshotData(recovered.snapshot.data)
      : new StateMachine(undefined, new MemberRegistry());
    const sm = new ObservedStateMachine(base, c.id, c.observe);
    let applied = recovered.snapshot ? recovered.snapshot.meta.index : asIndex(0);
    let appliedTerm = recovered.snapshot ? recovered.snapshot.meta.term : asTerm(0);
    const commit = recovered.hardState?.commit ?? 0;
    for (const e of recovered.entries) {
      if (e.index > commit) break;
      applyCommitted(sm, e, `/sim/${c.name}`);
      applied = e.index;
      appliedTerm = e.term;
    }
    const voters = sm.voters();
    const runtime = { clock, random, scheduler };
    const opts: MemberOptions = {
      name: c.name,
      dataDir: `/sim/${c.name}`,
      initialCluster: [],
      initialClusterState: 'new',
      initialClusterToken: 'sim',
      advertisePeerURLs: [`http://${c.name}:2380`],
      advertiseClientURLs: [`http://${c.name}:2379`],
      listenPeerURLs: [],
      heartbeatMs: 100,
      electionMs: 1000,
      snapshotCount: c.snapshotCount,
      maxSnapshots: 3,
      maxWals: 3,
      segmentSize: 1 << 20,
      requestTimeoutMs: 3000,
      logger: silent,
      metrics: (sharedMetrics ??= new SimMetrics()),
      runtime,
      onFatal: (err) => c.onFatal(c.id, err),
    };
    let member: Member;
    try {
      member = assembleMember({
        opts,
        runtime,
        state: {
          id: c.id,
          clusterId: c.clusterId,
          sm,
          ids: new ProposalIds(ids),
          applied,
          appliedTerm,
          voters,
          restore: {
            hardState: recovered.hardState,
            snapshot: recovered.snapshot,
            entries: recovered.entries,
            conf: { voters },
            applied,
          },
        },
        log,
        snapshots,
        lock: { release: () => {} },
        transport: c.network.endpoint(c.id, incarnation),
      });
    } catch (err) {
      throw new Error(
        `${c.name} cannot start from its disk: ${(err as Error).message}\n${c.disk.describe().join('\n')}`,
      );
    }
    this.member = member;
    c.network.attach(c.id, member.peerEvents, incarnation);
    member.start();
  }

  /** The process dies now; what its disk had not synced may be lost. */
  crash(): { lostRecords: number } {
    this.member = null;
    this.cfg.network.detach(this.cfg.id);
    return this.cfg.disk.crash();
  }
}

/** A scheduler whose callbacks die with the process. */
function processScheduler(time: VirtualTime, alive: () => boolean): Scheduler {
  return {
    after: (ms, fn) => time.after(ms, () => alive() && fn()),
    every: (ms, fn) => {
      const t = time.every(ms, () => {
        if (alive()) fn();
        else t.cancel();
      });
      return t;
    },
    soon: (fn) => time.soon(() => alive() && fn()),
  };
}
