// A simulated peer network: every message is delivered after a random delay
// (so messages overtake each other), some are dropped, some of raft's own
// duplicated, and
// partitions cut chosen pairs of members apart. A message that cannot be
// delivered is reported unreachable to its sender; now and then one reported
// so still arrives much later (a connection that completed after it was
// given up). Snapshots report their outcome to the sender, as the real
// transport's snapshot stream does.

import type { MemberId, Message } from '../../lib/raft/types.js';
import type { SeededRandom, VirtualTime } from '../../lib/runtime/index.js';
import type { PeerEvents, RaftTransport } from '../../lib/server/ports.js';
import { describeMessage } from './describe.js';

export interface NetworkFaults {
  readonly dropRate: number;
  readonly duplicateRate: number;
  /** Delivery delay in virtual ms: [min, max]. */
  readonly delayMs: readonly [number, number];
  /** Of the undeliverable messages, the share that still arrives late. */
  readonly lateRate: number;
}

export class SimNetwork {
  /** The process of each member that receives now (null while down). */
  private readonly receivers = new Map<MemberId, { events: PeerEvents; incarnation: number } | null>();
  /** Pairs that cannot talk, as "a|b" with a < b. */
  private readonly cut = new Set<string>();
  delivered = 0;
  dropped = 0;

  constructor(
    private readonly time: VirtualTime,
    private readonly rng: SeededRandom,
    private readonly faults: NetworkFaults,
    private readonly trace: (line: () => string) => void,
  ) {}

  attach(id: MemberId, events: PeerEvents, incarnation: number): void {
    this.receivers.set(id, { events, incarnation });
  }

  detach(id: MemberId): void {
    this.receivers.set(id, null);
  }

  /** Cuts the members into groups that only talk within themselves. */
  partition(groups: readonly (readonly MemberId[])[]): void {
    this.cut.clear();
    groups.forEach((g, i) => {
      for (const other of groups.slice(i + 1)) for (const a of g) for (const b of other) this.cut.add(pair(a, b));
    });
    this.trace(() => `network: partition ${groups.map((g) => `{${g.map(short).join(',')}}`).join(' ')}`);
  }

  heal(): void {
    if (this.cut.size > 0) this.trace(() => 'network: healed');
    this.cut.clear();
  }

  connected(a: MemberId, b: MemberId): boolean {
    return !this.cut.has(pair(a, b));
  }

  /** The transport of one process of member `self`. */
  endpoint(self: MemberId, incarnation: number): RaftTransport {
    return {
      send: (msgs) => {
        for (const m of msgs) this.send(self, incarnation, m);
      },
      addPeer: () => {},
      updatePeer: () => {},
      removePeer: () => {},
      peerBytes: () => ({}),
      setTls: () => {},
      close: async () => {},
    };
  }

  private send(from: MemberId, incarnation: number, m: Message): void {
    const f = this.faults;
    const [min, max] = f.delayMs;
    const delay = () => min + this.rng.below(max - min + 1);
    const reachable = this.connected(from, m.to) && this.receivers.get(m.to) != null;
    if (!reachable || this.rng.chance(f.dropRate)) {
      this.dropped++;
      this.report(from, incarnation, m, false);
      if (reachable || !this.rng.chance(f.lateRate)) return;
      // Given up by the sender, yet it arrives: a connection that completed late.
      this.time.after(delay() * 20, () => this.deliver(m, true));
      return;
    }
    // Raft's own messages are duplicated to prove it idempotent; a forwarded proposal is not: the peer
    // transport (one HTTP/2 stream per peer) never delivers a message twice, and a proposal delivered
    // twice would be applied twice.
    const copies = m.type !== 'propose' && this.rng.chance(f.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.time.after(delay(), () => {
        const ok = this.deliver(m, false);
        if (i === 0) this.report(from, incarnation, m, ok);
      });
    }
  }

  /** Delivers m to the current process of m.to, if it is up and reachable; returns whether it was. */
  private deliver(m: Message, late: boolean): boolean {
    const to = this.receivers.get(m.to);
    if (!to || !this.connected(m.from, m.to)) return false;
    this.delivered++;
    this.trace(() => `  net${late ? ' (late)' : ''}: ${describeMessage(m)}`);
    to.events.message(m);
    return true;
  }

  /** What the sender's transport learns: an unreachable peer, the outcome of a snapshot. */
  private report(from: MemberId, incarnation: number, m: Message, ok: boolean): void {
    const sender = this.receivers.get(from);
    if (!sender || sender.incarnation !== incarnation) return;
    if (m.type === 'snapshot') sender.events.snapshotStatus(m.to, ok);
    else if (!ok) sender.events.unreachable(m.to);
  }
}

function pair(a: MemberId, b: MemberId): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

export function short(id: string): string {
  return id.slice(-4);
}
