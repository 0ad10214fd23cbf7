// The cluster's member list as the log says it is: built only by applying
// committed membership changes and publish proposals, so it is the same on
// every member, and saved inside every snapshot.

import { asMemberId, type MemberId } from '../wire/index.js';
import {
  record,
  string,
  strings,
  type MembershipChange,
  type PublishRequest,
  type ValueOf,
} from '../proposal/index.js';

/** A member as the replicated list knows it, and as snapshot data holds it (state-codec.ts). */
export const memberRecord = record('Member', { id: string, name: string, peerURLs: strings, clientURLs: strings });
export type MemberInfo = ValueOf<typeof memberRecord>;

export class MemberRegistry {
  private readonly byId = new Map<MemberId, MemberInfo>();
  /** Members removed from the cluster: their messages are refused forever. */
  private readonly removedIds = new Set<MemberId>();

  constructor(initial: readonly MemberInfo[] = [], removed: readonly string[] = []) {
    for (const m of initial) this.byId.set(asMemberId(m.id), m);
    for (const id of removed) this.removedIds.add(asMemberId(id));
  }

  /** Replaces everything (a snapshot from the leader was installed). */
  replace(members: readonly MemberInfo[], removed: readonly string[]): void {
    this.byId.clear();
    this.removedIds.clear();
    for (const m of members) this.byId.set(asMemberId(m.id), m);
    for (const id of removed) this.removedIds.add(asMemberId(id));
  }

  list(): MemberInfo[] {
    return [...this.byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string): MemberInfo | undefined {
    return this.byId.get(asMemberId(id));
  }

  has(id: string): boolean {
    return this.byId.has(asMemberId(id));
  }

  isRemoved(id: string): boolean {
    return this.removedIds.has(asMemberId(id));
  }

  removed(): string[] {
    return [...this.removedIds];
  }

  ids(): MemberId[] {
    return this.list().map((m) => asMemberId(m.id));
  }

  /** The member that already uses one of these peer URLs, if any. */
  withPeerURL(urls: readonly string[]): MemberInfo | undefined {
    return this.list().find((m) => m.peerURLs.some((u) => urls.includes(u)));
  }

  apply(change: MembershipChange): void {
    const id = asMemberId(change.id);
    switch (change.type) {
      case 'add': {
        const prev = this.byId.get(id);
        this.byId.set(id, {
          id,
          name: prev?.name ?? change.name,
          peerURLs: [...change.peerURLs],
          clientURLs: prev?.clientURLs ?? [],
        });
        return;
      }
      case 'update': {
        const prev = this.byId.get(id);
        if (prev) this.byId.set(id, { ...prev, peerURLs: [...change.peerURLs] });
        return;
      }
      case 'remove':
        this.byId.delete(id);
        this.removedIds.add(id);
        return;
    }
  }

  publish(p: PublishRequest): void {
    const prev = this.byId.get(asMemberId(p.id));
    if (prev) this.byId.set(asMemberId(p.id), { ...prev, name: p.name, clientURLs: [...p.clientURLs] });
  }
}
