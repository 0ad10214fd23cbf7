import type { MemberId } from './types.js';

/** A ReadIndex request waiting at the leader: from whom (maybe the leader itself) and its ctx. */
export interface ReadRequest {
  readonly from: MemberId;
  readonly ctx: string;
}

export interface ConfirmedRead extends ReadRequest {
  readonly index: number;
}

/**
 * One heartbeat round confirming leadership for the requests it carries. Its
 * key travels as the heartbeat ctx and comes back in the answers; requests
 * join an open round (one whose heartbeats have not left yet).
 */
interface Round {
  readonly key: string;
  index: number;
  readonly requests: ReadRequest[];
  readonly acks: Set<MemberId>;
  open: boolean;
}

/** The leader's ReadIndex rounds, oldest first. */
export class ReadOnly {
  private rounds: Round[] = [];
  private seq = 0;
  private requests = 0;

  /** Requests waiting in all rounds. */
  get pending(): number {
    return this.requests;
  }

  /**
   * Adds a request whose read point is index (the leader's commit now).
   * Returns the key of a new round whose heartbeats the caller must send, or
   * null when the request joined a round whose heartbeats have not left yet.
   */
  add(req: ReadRequest, index: number, self: MemberId): string | null {
    this.requests++;
    const last = this.rounds[this.rounds.length - 1];
    if (last?.open) {
      last.requests.push(req);
      last.index = index;
      return null;
    }
    const key = String(++this.seq);
    this.rounds.push({ key, index, requests: [req], acks: new Set([self]), open: true });
    return key;
  }

  /** The newest round's key: regular heartbeats carry it, so a round whose own heartbeats were lost still completes. */
  lastKey(): string {
    return this.rounds.at(-1)?.key ?? '';
  }

  /** The round's heartbeats are about to leave: later requests need a new round. */
  close(): void {
    for (const r of this.rounds) r.open = false;
  }

  /**
   * Records an answer to the heartbeats of round `key`. When the round's acks
   * reach a quorum, it and every older round are confirmed: their requests
   * arrived before the confirming heartbeats left.
   */
  ack(key: string, from: MemberId, hasQuorum: (acks: ReadonlySet<MemberId>) => boolean): ConfirmedRead[] {
    const at = this.rounds.findIndex((r) => r.key === key);
    const round = this.rounds[at];
    if (round === undefined) return [];
    round.acks.add(from);
    if (!hasQuorum(round.acks)) return [];
    const done = this.rounds.splice(0, at + 1);
    const out: ConfirmedRead[] = [];
    for (const r of done) this.requests -= r.requests.length;
    for (const r of done) for (const q of r.requests) out.push({ from: q.from, ctx: q.ctx, index: r.index });
    return out;
  }

  reset(): void {
    this.rounds = [];
    this.requests = 0;
  }
}
