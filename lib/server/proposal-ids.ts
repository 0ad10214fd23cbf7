// Request ids that a member never hands out twice, not even across restarts:
// an entry proposed before a crash and committed after it must not answer a
// request of the new process.
//
// etcd (pkg/idutil) builds ids from the member id, the wall clock at start
// and a counter: unique only while the clock never steps back between two
// starts. Here ids come in blocks reserved on disk instead: before handing
// out an id of a block, the end of the block is fsynced as the first id the
// next process may use. A restart skips what is left of the block; no clock
// is involved. One small synchronous write per block (and one per start).

import { MAX_WIRE_INTEGER } from '../raft/index.js';

/** Where the first id not yet reserved is kept (a CounterFile in production). */
export interface IdReservation {
  /** The first unreserved id, or `absent` on a member's first start. */
  load(absent: number): number;
  /** Records durably that ids below `next` are taken; returns once on disk. */
  save(next: number): void;
}

/** Ids per reservation: a write every 2^20 proposals, 2^33 blocks before the codec's limit. */
export const ID_BLOCK = 2 ** 20;

export class ProposalIds {
  private nextId: number;
  private blockEnd: number;

  /** Reserves the first block at once (0 is never handed out: it means "nobody waits"). */
  constructor(private readonly reservation: IdReservation) {
    const start = reservation.load(1);
    this.nextId = start;
    this.blockEnd = start;
    this.reserve();
  }

  next(): number {
    if (this.nextId >= this.blockEnd) this.reserve();
    return this.nextId++;
  }

  private reserve(): void {
    const end = this.blockEnd + ID_BLOCK;
    if (end > MAX_WIRE_INTEGER) throw new RangeError(`proposal ids exhausted: ${this.blockEnd} is the last reservable`);
    this.reservation.save(end);
    this.nextId = this.blockEnd;
    this.blockEnd = end;
  }
}
