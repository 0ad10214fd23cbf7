// Work a member does on its own, not asked by a client: the leader proposes
// a TTL sync entry when keys are due to expire (keys expire only through the
// log), and a member announces its name and client URLs through the log
// once a leader is known (etcd's publish), retrying until it is applied.

import type { Logger } from 'pino';
import type { Runtime, Timer } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import type { ProposalBody, PublishRequest } from '../proposal/index.js';

/** How often the leader checks for keys whose TTL ran out. */
export const SYNC_INTERVAL_MS = 500;

export interface HousekeepingOptions {
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly publish: PublishRequest;
  readonly store: () => Store;
  readonly isLeader: () => boolean;
  readonly hasLeader: () => boolean;
  /** False while the member refuses requests. */
  readonly healthy: () => boolean;
  readonly propose: (body: ProposalBody) => Promise<unknown>;
}

export class Housekeeping {
  private syncInFlight = false;
  private published = false;
  private timer: Timer | null = null;

  constructor(private readonly opts: HousekeepingOptions) {}

  start(): void {
    this.timer = this.opts.runtime.scheduler.every(SYNC_INTERVAL_MS, () => this.proposeExpiry());
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** A leader is known (or a tick passed): publish unless done. */
  leaderKnown(): void {
    if (this.published || !this.opts.hasLeader()) return;
    this.published = true;
    this.opts.propose(this.opts.publish).catch((err: Error) => {
      this.published = false;
      this.opts.logger.debug({ err: err.message }, 'publish failed; retrying on the next leader change or tick');
    });
  }

  /** A sync entry was applied: the next one may be proposed. */
  syncApplied(): void {
    this.syncInFlight = false;
  }

  /** Keys expire only through a sync entry, proposed by the leader when one is due. */
  private proposeExpiry(): void {
    if (!this.opts.isLeader() || this.syncInFlight || !this.opts.healthy()) return;
    const due = this.opts.store().nextExpiry();
    if (due === null || due > this.opts.runtime.clock.now()) return;
    this.syncInFlight = true;
    this.opts.propose({ op: 'sync' }).catch(() => {
      this.syncInFlight = false;
    });
  }
}
