// The peer network of a production member: lib/transport's PeerTransport
// behind the RaftTransport port, and the rule that the transport knows
// exactly the members the member list holds.

import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import type { MemberId, Message } from '../raft/index.js';
import { snapDir } from '../storage/index.js';
import { PeerTransport } from '../transport/index.js';
import type { Bootstrapped } from './bootstrap.js';
import type { MemberOptions } from './options.js';
import type { PeerEvents, RaftTransport } from './ports.js';
import type { MembershipChange } from '../proposal/index.js';
import type { MemberInfo } from './service.js';

export class RemotePeers implements RaftTransport {
  readonly transport: PeerTransport;

  /** events() is asked at each delivery: null while the member is not built yet (the message is dropped). */
  constructor(
    opts: MemberOptions,
    b: Bootstrapped,
    events: () => PeerEvents | null,
    dashboardJSON: (path: string) => unknown,
    hashJSON: (query: string) => Promise<unknown>,
  ) {
    this.transport = new PeerTransport({
      self: b.id,
      clusterId: b.clusterId,
      logger: opts.logger,
      snapshotDir: snapDir(opts.dataDir),
      serverTls: opts.peerServerTls ?? null,
      clientTls: opts.peerClientTls ?? null,
      verifyPeer: opts.verifyPeer,
      onMessage: (m) => events()?.message(m),
      onUnreachable: (id) => events()?.unreachable(id),
      onSnapshotStatus: (id, ok) => events()?.snapshotStatus(id, ok),
      isKnownMember: (id) => b.sm.registry.has(id) && !b.sm.registry.isRemoved(id),
      membersJSON: () => ({ clusterId: b.clusterId, members: b.sm.registry.list() }),
      onRtt: (id, ms) => opts.metrics.peerRoundTrip.observe({ To: id }, ms / 1000),
      dashboardJSON,
      hashJSON,
    });
  }

  listen(url: string): Promise<string> {
    return this.transport.listen(url);
  }

  send(msgs: readonly Message[]): void {
    this.transport.send(msgs);
  }

  addPeer(id: MemberId, urls: readonly string[]): void {
    this.transport.addPeer(id, urls);
  }

  updatePeer(id: MemberId, urls: readonly string[]): void {
    this.transport.updatePeer(id, urls);
  }

  removePeer(id: MemberId): void {
    this.transport.removePeer(id);
  }

  peerBytes(): Readonly<Record<string, { readonly sentBytes: number; readonly recvBytes: number }>> {
    return this.transport.stats().peers;
  }

  setTls(serverTls: SecureContextOptions, clientTls: ConnectionOptions): void {
    this.transport.setTls(serverTls, clientTls);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

/** A committed membership change: the transport dials, redials or forgets the member. */
export function peersFollowChange(transport: RaftTransport, self: MemberId, c: MembershipChange): void {
  const id = c.id as MemberId;
  if (id === self) return;
  if (c.type === 'add') transport.addPeer(id, c.peerURLs);
  if (c.type === 'update') transport.updatePeer(id, c.peerURLs);
  if (c.type === 'remove') transport.removePeer(id);
}

/** A whole member list (a snapshot's): every other member is known to the transport. */
export function peersFollowMembers(transport: RaftTransport, self: MemberId, members: readonly MemberInfo[]): void {
  for (const m of members) if (m.id !== self) transport.addPeer(m.id as MemberId, m.peerURLs);
}
