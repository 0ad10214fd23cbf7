// Small recording stand-ins for a member's ports (log, snapshots, network),
// for unit tests of the member's parts. They record what they were asked in
// order; a flush waits until the test releases it.

import pino, { type Logger } from 'pino';
import type { Entry, HardState, Index, MemberId, Message, Snapshot, SnapshotMeta } from '../../lib/raft/types.js';
import type { LogStorage, RaftTransport, SnapshotStorage } from '../../lib/server/ports.js';

/** The order in which things reached the disk and the network. */
export type Step = string;

export class RecordingLog implements LogStorage {
  readonly entries: Entry[] = [];
  hardState: HardState | null = null;
  /** When set, append throws it. */
  failWith: Error | null = null;
  private release: (() => void)[] = [];

  constructor(private readonly steps: Step[]) {}

  append(entries: readonly Entry[], hardState: HardState | null): void {
    if (this.failWith) throw this.failWith;
    this.steps.push(`append ${entries.map((e) => e.index).join(',')}${hardState ? ` commit=${hardState.commit}` : ''}`);
    this.entries.push(...entries);
    if (hardState) this.hardState = hardState;
  }

  flush(): Promise<void> {
    this.steps.push('flush');
    return new Promise((resolve) => this.release.push(resolve));
  }

  /** Lets the flushes asked so far complete. */
  synced(): void {
    this.steps.push('synced');
    for (const r of this.release.splice(0)) r();
  }

  markSnapshot(meta: SnapshotMeta): void {
    this.steps.push(`mark ${meta.index}`);
  }

  releaseTo(index: Index): void {
    this.steps.push(`release ${index}`);
  }

  close(): void {
    this.steps.push('close');
  }
}

export class MemorySnapshots implements SnapshotStorage {
  readonly saved: Snapshot[] = [];

  constructor(private readonly steps: Step[]) {}

  async save(s: Snapshot): Promise<string> {
    this.steps.push(`snapshot ${s.meta.index}`);
    this.saved.push(s);
    return `snap-${s.meta.index}`;
  }

  oldestIndex(): Index | null {
    return this.saved[0]?.meta.index ?? null;
  }
}

export class RecordingTransport implements RaftTransport {
  readonly peers = new Map<string, readonly string[]>();
  readonly sent: Message[] = [];

  constructor(private readonly steps: Step[]) {}

  send(msgs: readonly Message[]): void {
    for (const m of msgs) this.steps.push(`send ${m.type} to ${m.to}`);
    this.sent.push(...msgs);
  }

  addPeer(id: MemberId, urls: readonly string[]): void {
    this.peers.set(id, urls);
  }

  updatePeer(id: MemberId, urls: readonly string[]): void {
    this.peers.set(id, urls);
  }

  removePeer(id: MemberId): void {
    this.peers.delete(id);
  }

  peerBytes(): Record<string, { sentBytes: number; recvBytes: number }> {
    return {};
  }

  setTls(): void {}

  async close(): Promise<void> {}
}

/** A logger whose lines the test can read back. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void out.push(s) });
  return { logger, lines: () => out.map((s) => JSON.parse(s) as Record<string, unknown>) };
}

export const quietLogger: Logger = pino({ level: 'silent' });

/** Lets pending promise callbacks run (a resolved flush continues the ready loop). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
