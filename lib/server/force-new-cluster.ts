// The data dir rewrite behind --force-new-cluster. The cluster id is in every
// log segment's header, so the member's state is written anew: a snapshot
// at the last applied index (the key tree and a member list of this member
// alone) and a fresh log that starts after it under a new cluster id.
//
// Both are built in <data-dir>/member/force-new-cluster/ and marked complete
// there before they replace member/snap and member/wal. A crash before the
// mark leaves the old data untouched (the unfinished copy is discarded at the
// next start); a crash after it is finished at the next start. Either way the
// data dir is never half old, half new.

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { NO_MEMBER, type Index, type MemberId, type Term } from '../raft/index.js';
import { SnapshotStore, Wal, type WalOptions } from '../storage/index.js';

const STAGING = 'force-new-cluster';
const COMPLETE = 'complete';

export interface ForcedClusterState {
  readonly memberId: MemberId;
  readonly applied: Index;
  readonly appliedTerm: Term;
  /** The term the new log starts in (not below any term the member knew). */
  readonly term: Term;
  /** Snapshot data: the key tree and the new member list. */
  readonly state: Buffer;
  readonly wal: Omit<WalOptions, 'memberId' | 'clusterId'>;
}

/** Replaces the data dir's log and snapshots with the state given; returns the new cluster id. */
export async function rewriteAsNewCluster(dataDir: string, s: ForcedClusterState): Promise<string> {
  const staging = join(dataDir, 'member', STAGING);
  rmSync(staging, { recursive: true, force: true });
  const clusterId = newClusterId();
  const meta = { index: s.applied, term: s.appliedTerm, conf: { voters: [s.memberId] } };
  await new SnapshotStore(staging, { maxSnapshots: 1 }).save({ meta, data: s.state });
  const wal = Wal.create(staging, { ...s.wal, memberId: s.memberId, clusterId });
  try {
    wal.markSnapshot(meta);
    wal.append([], { term: s.term, vote: NO_MEMBER, commit: s.applied });
  } finally {
    wal.close();
  }
  writeFileSync(join(staging, COMPLETE), `${clusterId}\n`);
  fsyncPath(join(staging, COMPLETE));
  fsyncPath(staging);
  swapIn(dataDir, staging);
  return clusterId;
}

/** Finishes a rewrite that was marked complete, or discards one that was not; called before the data dir is read. */
export function settleInterruptedRewrite(dataDir: string, logger: Logger): void {
  const staging = join(dataDir, 'member', STAGING);
  if (!existsSync(staging)) return;
  if (existsSync(join(staging, COMPLETE))) {
    swapIn(dataDir, staging);
    logger.warn({ dataDir }, 'finished a force-new-cluster rewrite of the data dir that a crash had interrupted');
  } else {
    rmSync(staging, { recursive: true, force: true });
    logger.warn(
      { dataDir },
      'discarded an unfinished force-new-cluster rewrite (a crash interrupted it); the data dir is as it was',
    );
  }
}

/** Moves staging's snap and wal over the member's; each step can be redone after a crash. */
function swapIn(dataDir: string, staging: string): void {
  const member = join(dataDir, 'member');
  for (const part of ['snap', 'wal']) {
    const from = join(staging, 'member', part);
    if (!existsSync(from)) continue;
    rmSync(join(member, part), { recursive: true, force: true });
    renameSync(from, join(member, part));
  }
  fsyncPath(member);
  rmSync(staging, { recursive: true, force: true });
  fsyncPath(member);
}

/** 64 random bits in etcd's hex form, never 0 (which means "none"). */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(8).readBigUInt64BE(0);
    if (id !== 0n) return id.toString(16);
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
