// PeerTransport: one outgoing link per peer, one server for what peers send us,
// and the batching that turns the messages of one send() into one write per
// peer.

import type tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type pino from 'pino';
import { present } from '../assert.js';
import type { MemberId, Message } from '../wire/index.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { FrameError } from './codec.js';
import { PeerLink, type LinkSettings } from './peer-link.js';
import { PeerServer, type ServerTlsOptions } from './peer-server.js';
import { DEFAULT_WINDOWS } from './protocol.js';
import { PeerCounters, type PeerStatsReport } from './stats.js';

const MiB = 1 << 20;

/** Knobs with defaults suited to a LAN cluster; tests shrink some of them. */
export interface TransportTuning {
  /** Per-stream receive window we announce. */
  readonly streamWindowBytes: number;
  /** Per-session receive window. */
  readonly sessionWindowBytes: number;
  /** Largest message frame sent or accepted; raft's largest append must fit. */
  readonly maxFrameBytes: number;
  /** Largest snapshot accepted; a stream declaring more is refused before its body is read. */
  readonly maxSnapshotBytes: number;
  /** Snapshots received at once from all members together (never more than one per member). */
  readonly maxIncomingSnapshots: number;
  /** An incoming snapshot stream that carries nothing for this long is dropped. */
  readonly snapshotIdleMs: number;
  /** Bytes queued toward one peer beyond which its messages are dropped. */
  readonly maxPendingBytes: number;
  /** Size of the buffers frames are encoded into. */
  readonly slabBytes: number;
  readonly dialTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly backoff: BackoffOptions;
}

export const DEFAULT_TUNING: TransportTuning = {
  streamWindowBytes: DEFAULT_WINDOWS.streamWindowBytes,
  sessionWindowBytes: DEFAULT_WINDOWS.sessionWindowBytes,
  maxFrameBytes: 64 * MiB,
  maxSnapshotBytes: 2048 * MiB,
  maxIncomingSnapshots: 2,
  snapshotIdleMs: 10_000,
  maxPendingBytes: 64 * MiB,
  slabBytes: 256 * 1024,
  dialTimeoutMs: 1000,
  pingIntervalMs: 1000,
  pingTimeoutMs: 5000,
  closeTimeoutMs: 1000,
  backoff: DEFAULT_BACKOFF,
};

export interface TransportOptions {
  readonly self: MemberId;
  readonly clusterId: string;
  readonly logger: pino.Logger;
  /**
   * Where incoming snapshots are written while they arrive (the member's
   * snapshot directory); created if missing.
   */
  readonly snapshotDir: string;
  /** Needed to listen on an https: URL. */
  readonly serverTls?: ServerTlsOptions | null;
  /** Used to dial https: peer URLs. */
  readonly clientTls?: tls.ConnectionOptions | null;
  /** A decoded message from a peer; a snapshot message arrives once its whole data has. */
  onMessage(m: Message): void;
  /** A message to id was dropped (not connected, or too far behind); at most once per send() per peer. */
  onUnreachable(id: MemberId): void;
  onSnapshotStatus(id: MemberId, ok: boolean): void;
  /** Streams from members this says no to are refused with 403. */
  isKnownMember(id: MemberId): boolean;
  /** Body of GET /members; 404 without it. */
  membersJSON?: () => unknown;
  /** Each measured round trip to a peer (HTTP/2 PING), for metrics. */
  onRtt?: (id: MemberId, ms: number) => void;
  /** Body of GET /version; 404 without it. */
  versionJSON?: () => unknown;
  /** Body of a GET under /dashboard/ (given the path and query); 404 without it or when it gives null. */
  dashboardJSON?: (pathAndQuery: string) => unknown;
  /** Body of GET /hash (given the query string); 404 without it or when it gives null. */
  hashJSON?: (query: string) => Promise<unknown>;
  /** The allowed CN/hostname check of a TLS peer's certificate: a rejection reason, or null. */
  verifyPeer?: (cert: tls.PeerCertificate) => string | null;
  readonly tuning?: Partial<TransportTuning>;
}

export interface TransportStats {
  readonly peers: Record<string, PeerStatsReport>;
}

export class PeerTransport {
  private readonly links = new Map<MemberId, PeerLink>();
  /** Counters of members we receive from without a link to them. */
  private readonly inbound = new Map<MemberId, PeerCounters>();
  private readonly server: PeerServer;
  private readonly linkSettings: LinkSettings;
  private readonly tuning: TransportTuning;
  private readonly log: pino.Logger;
  /** Links with frames encoded by the send() under way. */
  private readonly dirty: PeerLink[] = [];
  private pingTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  private readonly unreachable: MemberId[] = [];

  constructor(private readonly opts: TransportOptions) {
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.log = opts.logger.child({ component: 'transport' });
    const t = this.tuning;
    const windows = { streamWindowBytes: t.streamWindowBytes, sessionWindowBytes: t.sessionWindowBytes };
    this.linkSettings = {
      self: opts.self,
      clusterId: opts.clusterId,
      clientTls: opts.clientTls ?? null,
      onRtt: opts.onRtt ?? null,
      windows,
      backoff: t.backoff,
      slabBytes: t.slabBytes,
      maxFrameBytes: t.maxFrameBytes,
      maxPendingBytes: t.maxPendingBytes,
      dialTimeoutMs: t.dialTimeoutMs,
      pingTimeoutMs: t.pingTimeoutMs,
      closeTimeoutMs: t.closeTimeoutMs,
    };
    this.server = new PeerServer(
      {
        self: opts.self,
        clusterId: opts.clusterId,
        serverTls: opts.serverTls ?? null,
        windows,
        maxFrameBytes: t.maxFrameBytes,
        maxSnapshotBytes: t.maxSnapshotBytes,
        snapshotDir: opts.snapshotDir,
        maxIncomingSnapshots: t.maxIncomingSnapshots,
        snapshotIdleMs: t.snapshotIdleMs,
        pingTimeoutMs: t.pingTimeoutMs,
        closeTimeoutMs: t.closeTimeoutMs,
        isKnownMember: (id) => opts.isKnownMember(id),
        verifyPeer: opts.verifyPeer ?? null,
        membersJSON: opts.membersJSON ?? null,
        versionJSON: opts.versionJSON ?? null,
        dashboardJSON: opts.dashboardJSON ?? null,
        hashJSON: opts.hashJSON ?? null,
        countersOf: (id) => this.countersOf(id),
        deliver: (m) => this.deliver(m),
      },
      this.log,
    );
  }

  /** Listens for peers on url (http: h2c, https: h2 over TLS); resolves to the bound URL (port 0 allowed). */
  listen(url: string): Promise<string> {
    if (this.closing !== null) return Promise.reject(new Error('transport is closed'));
    return this.server.listen(url).then((bound) => {
      this.startPinging();
      return bound;
    });
  }

  addPeer(id: MemberId, urls: readonly string[]): void {
    if (this.closing !== null || id === this.opts.self) return;
    const existing = this.links.get(id);
    if (existing !== undefined) {
      existing.setUrls(urls);
      return;
    }
    // Counters of what the member sent us before it became a peer carry over.
    const link = new PeerLink(id, urls, this.linkSettings, this.log, this.inbound.get(id) ?? new PeerCounters());
    this.inbound.delete(id);
    this.links.set(id, link);
    link.start();
    this.startPinging();
  }

  updatePeer(id: MemberId, urls: readonly string[]): void {
    const link = this.links.get(id);
    if (link === undefined) this.addPeer(id, urls);
    else link.setUrls(urls);
  }

  /** Forgets a peer: closes our session to it and its message stream to us. */
  removePeer(id: MemberId): void {
    const link = this.links.get(id);
    if (link !== undefined) {
      this.links.delete(id);
      void link.close();
    }
    this.inbound.delete(id);
    this.server.dropMember(id);
  }

  /**
   * Hands messages to the peers' streams without blocking, one write per peer.
   * They are not held back for the end of the turn: HTTP/2 and the socket
   * already gather the writes of one turn into one, and a hop to a later
   * turn would delay every append by the I/O callbacks queued meanwhile. A
   * message to a peer that is not connected, or that has maxPendingBytes
   * queued already, is dropped (raft retransmits) and onUnreachable is
   * called. Snapshot messages go on a stream of their own.
   */
  send(msgs: readonly Message[]): void {
    if (this.closing !== null) return;
    for (let i = 0; i < msgs.length; i++) {
      const m = present(msgs[i], 'i < msgs.length');
      const link = this.links.get(m.to);
      if (m.type === 'snapshot') {
        if (link === undefined || !link.sendSnapshot(m, (ok) => this.snapshotDone(m.to, ok))) {
          this.markUnreachable(m.to);
          this.snapshotDone(m.to, false);
        }
        continue;
      }
      if (link === undefined) {
        this.markUnreachable(m.to);
        continue;
      }
      let queued: boolean;
      try {
        queued = link.enqueue(m);
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        this.log.error({ peer: m.to, type: m.type, err: err.message }, 'dropping a message that cannot be sent');
        continue;
      }
      if (!queued) this.markUnreachable(m.to);
      else if (!this.dirty.includes(link)) this.dirty.push(link);
    }
    for (let i = 0; i < this.dirty.length; i++) present(this.dirty[i], 'i < dirty.length').flush();
    this.dirty.length = 0;
    for (let i = 0; i < this.unreachable.length; i++)
      this.opts.onUnreachable(present(this.unreachable[i], 'i < unreachable.length'));
    this.unreachable.length = 0;
  }

  stats(): TransportStats {
    const peers: Record<string, PeerStatsReport> = {};
    for (const [id, link] of this.links) peers[id] = link.counters.report(link.connected);
    for (const [id, counters] of this.inbound) peers[id] = counters.report(false);
    return { peers };
  }

  /**
   * Certificate rotation: the peer server's new material for new handshakes,
   * and the certificate new outgoing sessions present. Established sessions
   * keep theirs.
   */
  setTls(serverTls: tls.SecureContextOptions, clientTls: tls.ConnectionOptions): void {
    this.server.setSecureContext(serverTls);
    this.linkSettings.clientTls = clientTls;
  }

  /** Closes the sessions (after what was sent) and the server, each within closeTimeoutMs. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    const links = [...this.links.values()];
    this.links.clear();
    this.closing = Promise.all([...links.map((l) => l.close()), this.server.close()]).then(() => undefined);
    return this.closing;
  }

  private markUnreachable(id: MemberId): void {
    if (!this.unreachable.includes(id)) this.unreachable.push(id);
  }

  private snapshotDone(id: MemberId, ok: boolean): void {
    if (this.closing !== null) return;
    try {
      this.opts.onSnapshotStatus(id, ok);
    } catch (err) {
      this.log.error({ peer: id, err: (err as Error).message }, 'onSnapshotStatus threw');
    }
  }

  private deliver(m: Message): void {
    if (this.closing !== null) return;
    try {
      this.opts.onMessage(m);
    } catch (err) {
      this.log.error({ from: m.from, type: m.type, err: (err as Error).message }, 'onMessage threw');
    }
  }

  private countersOf(id: MemberId): PeerCounters {
    const link = this.links.get(id);
    if (link !== undefined) return link.counters;
    let counters = this.inbound.get(id);
    if (counters === undefined) {
      counters = new PeerCounters();
      this.inbound.set(id, counters);
    }
    return counters;
  }

  private startPinging(): void {
    if (this.pingTimer !== null || this.closing !== null) return;
    this.pingTimer = setInterval(() => {
      const now = performance.now();
      for (const link of this.links.values()) link.ping(now);
      this.server.ping(now);
    }, this.tuning.pingIntervalMs);
    // Pings are for connections that exist; they alone keep no process alive.
    this.pingTimer.unref();
  }
}
