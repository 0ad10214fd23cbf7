// The replica hash check. Every member can tell the hash of its tree now or
// at a past index (/v2/stats/hash). The leader, every interval, picks its
// current store index N (an entry boundary, the same on every member), hashes
// its own tree and asks every other member, on the peer port, for its hash
// at N: a member behind waits until its apply loop reaches N and hashes its
// live tree right then, so a tree that went wrong in memory shows (a hash
// rebuilt from the log would not). The hash most members hold is the truth:
// a member that differs is logged at error with both hashes and the first
// key the trees disagree on, the leader raises kvd_corruption_detected, and
// the odd member, told the majority's hash, marks itself unhealthy.

import type { Logger } from 'pino';
import { ErrorCode, V2Error, type Store } from '../store/index.js';
import type { History } from './history.js';

export interface HashAnswer {
  readonly index: number;
  readonly hash: string;
}

export interface HashPeer {
  readonly id: string;
  readonly name: string;
  readonly peerURLs: readonly string[];
}

export interface ReplicaHashOptions {
  readonly history: History;
  readonly store: () => Store;
  readonly logger: Logger;
  readonly self: HashPeer;
  /** Every member, this one included. */
  readonly members: () => readonly HashPeer[];
  readonly isLeader: () => boolean;
  /** GET of a path on a member's peer URL, its JSON body parsed (the peer transport's client, TLS included). */
  readonly askPeer: (peerURL: string, path: string) => Promise<unknown>;
  /** 0: no periodic check. */
  readonly intervalMs: number;
  /** How long a member waits for its apply loop to reach the index the leader asks about. */
  readonly waitMs?: number;
  /** Called with true when a mismatch is found (on the leader and on the odd member). */
  readonly onCorruption: () => void;
}

export interface CheckReport {
  readonly index: number;
  readonly hashes: Record<string, string>;
  /** Members that did not answer in time. */
  readonly unanswered: string[];
  readonly majority: string;
  readonly odd: string[];
}

const DEFAULT_WAIT_MS = 5000;
/** Exact hashes remembered, so the odd member can compare the majority's hash with what it held at N. */
const RECENT_HASHES = 16;
/** Most node digests exchanged to find the first differing key. */
export const MAX_DIGESTS = 100_000;

export class ReplicaHashes {
  private readonly waitMs: number;
  private readonly recent = new Map<number, string>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  /** Why this member holds a corrupted tree, once found. */
  problem: string | null = null;

  constructor(private readonly opts: ReplicaHashOptions) {
    this.waitMs = opts.waitMs ?? DEFAULT_WAIT_MS;
  }

  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer !== null) return;
    this.timer = setInterval(() => {
      if (!this.opts.isLeader() || this.checking) return;
      this.checking = true;
      this.check()
        .catch((err: Error) => this.opts.logger.warn({ err: err.message }, 'replica hash check failed'))
        .finally(() => (this.checking = false));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** /v2/stats/hash: the hash now, or at a past index (rebuilt from snapshot and log). Rejects with V2Error 450/451. */
  async hashAt(index: number | null): Promise<HashAnswer> {
    const live = this.opts.store();
    if (index === null || index === live.index) return { index: live.index, hash: live.hash() };
    const tree = await this.opts.history.treeAt(index);
    return { index, hash: tree.store.hash() };
  }

  /**
   * The peer route: `index=N` answers the hash at N ({index, hash}),
   * waiting for the apply loop to get there; with `majority=H` the member
   * also compares H with what it held at N and marks itself corrupted when
   * they differ; `digests=1` answers the node digests at N instead.
   */
  async answerPeer(query: string): Promise<unknown> {
    const q = new URLSearchParams(query);
    const index = Number(q.get('index'));
    if (!Number.isSafeInteger(index) || index < 0) return { error: 'index must be a store index' };
    try {
      if (q.get('digests') === '1') return { index, ...(await this.exact(index, (s) => s.digests(0, MAX_DIGESTS))) };
      const hash = this.recent.get(index) ?? (await this.exact(index, (s) => s.hash()));
      this.remember(index, hash);
      const majority = q.get('majority');
      if (majority !== null && majority !== hash) {
        this.markCorrupt(`this member's tree at index ${index} hashes to ${hash}, the majority's to ${majority}`);
      }
      return { index, hash };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** One check round (the leader's): hashes at the leader's index, compared. */
  async check(): Promise<CheckReport> {
    const live = this.opts.store();
    const index = live.index;
    const own = live.hash();
    this.remember(index, own);
    const self = this.opts.self;
    const others = this.opts.members().filter((m) => m.id !== self.id);
    const hashes: Record<string, string> = { [self.id]: own };
    const unanswered: string[] = [];
    await Promise.all(
      others.map(async (m) => {
        const a = await this.ask(m, `index=${index}`);
        if (a !== null && typeof a.hash === 'string') hashes[m.id] = a.hash;
        else unanswered.push(m.id);
      }),
    );
    const majority = majorityOf(hashes, own);
    const odd = Object.keys(hashes).filter((id) => hashes[id] !== majority);
    const report: CheckReport = { index, hashes, unanswered, majority, odd };
    if (odd.length === 0) {
      this.opts.logger.debug(
        { index, hash: own, members: Object.keys(hashes).length, unanswered },
        'replica hashes agree',
      );
      return report;
    }
    this.opts.onCorruption();
    const diffIndex = this.opts.store().index;
    const members = this.opts.members();
    const reference = members.find((m) => hashes[m.id] === majority) ?? self;
    for (const id of odd) {
      const member = members.find((m) => m.id === id) ?? { id, name: '', peerURLs: [] };
      const firstDifferingKey = await this.firstDifference(reference, member, diffIndex);
      this.opts.logger.error(
        {
          index,
          member: id,
          name: member.name,
          hash: hashes[id],
          majorityHash: majority,
          firstDifferingKey,
          comparedAt: diffIndex,
        },
        'replica hash mismatch: a member holds a different tree at the same index (corrupted replica)',
      );
      if (id === self.id)
        this.markCorrupt(`this member's tree at index ${index} hashes to ${own}, the majority's to ${majority}`);
      else await this.ask(member, `index=${index}&majority=${majority}`);
    }
    return report;
  }

  private markCorrupt(reason: string): void {
    if (this.problem === null)
      this.opts.logger.error({ reason }, 'this member holds a corrupted tree: /health reports it unhealthy');
    this.problem = `corrupted replica: ${reason}`;
    this.opts.onCorruption();
  }

  /** Asks a member's peer port; null when it did not answer (or answered an error). */
  private async ask(
    m: HashPeer,
    query: string,
  ): Promise<{ index?: number; hash?: string; digests?: [string, string][] } | null> {
    if (m.id === this.opts.self.id) return (await this.answerPeer(query)) as { hash?: string };
    for (const url of m.peerURLs) {
      try {
        const a = (await this.opts.askPeer(url, `/hash?${query}`)) as { error?: string; hash?: string };
        if (a !== null && typeof a === 'object' && a.error === undefined) return a;
        this.opts.logger.warn({ member: m.id, err: a?.error }, 'a member could not answer the replica hash check');
        return null;
      } catch (err) {
        this.opts.logger.debug({ member: m.id, url, err: (err as Error).message }, 'replica hash check: no answer');
      }
    }
    return null;
  }

  /** The first key, in hash order, where the trees of `a` (the majority's) and `b` differ at `index`; null if unknown. */
  private async firstDifference(a: HashPeer, b: HashPeer, index: number): Promise<string | null> {
    const [da, db] = await Promise.all([
      this.ask(a, `index=${index}&digests=1`),
      this.ask(b, `index=${index}&digests=1`),
    ]);
    if (!da?.digests || !db?.digests) return null;
    const n = Math.max(da.digests.length, db.digests.length);
    for (let i = 0; i < n; i++) {
      const x = da.digests[i];
      const y = db.digests[i];
      if (x === undefined) return y === undefined ? null : y[0];
      if (y === undefined) return x[0];
      if (x[0] !== y[0]) return x[0] < y[0] ? x[0] : y[0];
      if (x[1] !== y[1]) return x[0];
    }
    return null;
  }

  /**
   * `read` of the live tree exactly at store index `index`: now if it is
   * there, when the apply loop gets there if it is behind (at most waitMs),
   * or of the tree rebuilt from the log if it is past.
   */
  private exact<T>(index: number, read: (s: Store) => T): Promise<T> {
    const live = this.opts.store();
    if (live.index === index) return Promise.resolve(read(live));
    if (live.index > index) return this.opts.history.treeAt(index).then((t) => read(t.store));
    return new Promise<T>((resolve, reject) => {
      // The observer runs inside the apply of the event with that index: the tree is exactly there.
      const stop = live.observe((e) => {
        if (e.node.modifiedIndex !== index) return;
        stop();
        clearTimeout(timer);
        resolve(read(live));
      });
      const timer = setTimeout(() => {
        stop();
        const now = this.opts.store().index;
        reject(
          new V2Error(
            ErrorCode.IndexInFuture,
            `this member reached index ${now} only, not ${index}, within ${this.waitMs} ms`,
            now,
          ),
        );
      }, this.waitMs);
      timer.unref();
    });
  }

  private remember(index: number, hash: string): void {
    this.recent.set(index, hash);
    for (const old of this.recent.keys()) {
      if (this.recent.size <= RECENT_HASHES) break;
      this.recent.delete(old);
    }
  }
}

/** The hash most members hold; a tie goes to the leader's own. */
function majorityOf(hashes: Record<string, string>, own: string): string {
  const counts = new Map<string, number>();
  for (const h of Object.values(hashes)) counts.set(h, (counts.get(h) ?? 0) + 1);
  let best = own;
  for (const [h, c] of counts) if (c > (counts.get(best) ?? 0)) best = h;
  return best;
}
