// The outgoing half of a peer pair: one HTTP/2 session dialled to the peer,
// carrying this member's messages on one long-lived POST stream (and
// snapshots on streams of their own). The peer's messages to us come on the
// session it dials (see peer-server.ts); each direction has one session.

import type http2 from 'node:http2';
import type tls from 'node:tls';
import type pino from 'pino';
import type { MemberId, Message } from '../wire/index.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { FrameEncoder } from './codec.js';
import { contained } from './contain.js';
import { dialSession, hangUp, type Dialed } from './dial.js';
import { HEADER_CLUSTER, HEADER_FROM, HEADER_TO, PATH_STREAM, sessionOptions, type WindowSizes } from './protocol.js';
import { sendSnapshot, type SnapshotMessage, type SnapshotOutcome } from './snapshot.js';
import { PeerCounters } from './stats.js';

export interface LinkSettings {
  readonly self: MemberId;
  readonly clusterId: string;
  /** Replaced on certificate rotation; read at every dial. */
  clientTls: tls.ConnectionOptions | null;
  readonly windows: WindowSizes;
  readonly backoff: BackoffOptions;
  readonly slabBytes: number;
  readonly maxFrameBytes: number;
  /** Bytes queued on the stream beyond which messages are dropped instead of buffered. */
  readonly maxPendingBytes: number;
  readonly dialTimeoutMs: number;
  readonly pingTimeoutMs: number;
  readonly closeTimeoutMs: number;
  /** Each measured round trip to the peer, for metrics. */
  readonly onRtt: ((id: MemberId, ms: number) => void) | null;
}

const REASON_LIMIT = 512;

export class PeerLink {
  private urls: readonly string[];
  private urlIndex = 0;
  private dialed: Dialed | null = null;
  private session: http2.ClientHttp2Session | null = null;
  private stream: http2.ClientHttp2Stream | null = null;
  private accepted = false;
  private readonly encoder: FrameEncoder;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | null = null;
  private dialTimer: NodeJS.Timeout | null = null;
  /** When the outstanding PING was sent (performance.now()), 0 when none is. */
  private pingSince = 0;
  private lastRefusal = '';
  private closed = false;
  private readonly headers: http2.OutgoingHttpHeaders;
  private readonly writeChunk = (chunk: Buffer): void => {
    this.stream!.write(chunk);
  };
  private readonly onPing = (err: Error | null, durationMs: number): void => {
    this.pingSince = 0;
    if (err !== null) return;
    this.counters.rtt.add(durationMs);
    try {
      this.settings.onRtt?.(this.id, durationMs);
    } catch (rttErr) {
      this.log.error({ peer: this.id, err: rttErr }, 'onRtt threw');
    }
  };

  constructor(
    readonly id: MemberId,
    urls: readonly string[],
    private readonly settings: LinkSettings,
    private readonly log: pino.Logger,
    readonly counters: PeerCounters,
  ) {
    this.urls = urls;
    this.encoder = new FrameEncoder(settings.slabBytes);
    this.backoff = new Backoff(settings.backoff);
    this.headers = { [HEADER_CLUSTER]: settings.clusterId, [HEADER_FROM]: settings.self, [HEADER_TO]: id };
  }

  /** The message stream is open and the peer accepted it. */
  get connected(): boolean {
    return this.accepted;
  }

  start(): void {
    this.dial();
  }

  /** Replaces the peer's URLs; a session to a URL no longer listed is redialled. */
  setUrls(urls: readonly string[]): void {
    const current = this.urls[this.urlIndex % this.urls.length] ?? '';
    this.urls = urls;
    this.urlIndex = 0;
    if (this.closed || (this.session !== null && urls.includes(current))) return;
    this.backoff.reset();
    const dialed = this.dialed;
    if (dialed !== null) {
      this.detach();
      hangUp(dialed);
    }
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.dial();
  }

  /**
   * Encodes m for the next flush. Returns false when m was dropped: the peer is
   * not connected or is so far behind that maxPendingBytes are already queued.
   * Throws FrameError when m cannot be encoded.
   */
  enqueue(m: Message): boolean {
    const stream = this.stream;
    if (!this.accepted || stream === null) {
      this.counters.droppedMsgs++;
      return false;
    }
    if (stream.writableLength + this.encoder.pendingBytes > this.settings.maxPendingBytes) {
      this.counters.droppedMsgs++;
      return false;
    }
    this.counters.sentBytes += this.encoder.encode(m, this.settings.maxFrameBytes);
    this.counters.sentMsgs++;
    return true;
  }

  /** Writes every frame encoded since the last flush, as one write when it can. */
  flush(): void {
    const stream = this.stream;
    const chunks = this.encoder.pendingChunks;
    if (chunks === 0 || stream === null) return;
    try {
      if (chunks > 1) stream.cork();
      this.encoder.flush(this.writeChunk);
      if (chunks > 1) stream.uncork();
    } catch (err) {
      // Runs inside the ready loop's send: a throw here would take the member down with this one session.
      this.log.error({ peer: this.id, err }, 'cannot write to the peer stream; reconnecting');
      this.encoder.reset();
      if (this.dialed !== null) hangUp(this.dialed);
    }
  }

  /**
   * Starts sending a snapshot on its own stream and returns true; done(ok) is
   * called once it was delivered or failed. Returns false, without calling
   * done, when the peer is not connected.
   */
  sendSnapshot(m: SnapshotMessage, done: (ok: boolean) => void): boolean {
    const session = this.session;
    if (!this.accepted || session === null) {
      this.counters.droppedMsgs++;
      return false;
    }
    this.log.info({ peer: this.id, bytes: m.snapshot.data.length, index: m.snapshot.meta.index }, 'sending snapshot');
    try {
      sendSnapshot(session, this.headers, m, this.log.child({ peer: this.id }), (outcome: SnapshotOutcome) => {
        this.counters.sentBytes += outcome.bytes;
        if (outcome.ok) {
          this.counters.sentMsgs++;
          this.log.info({ peer: this.id, bytes: outcome.bytes }, 'snapshot sent');
        } else {
          this.counters.droppedMsgs++;
          this.log.warn({ peer: this.id, status: outcome.status, reason: outcome.reason }, 'snapshot not delivered');
        }
        done(outcome.ok);
      });
    } catch (err) {
      // session.request throws when the session is closing.
      this.counters.droppedMsgs++;
      this.log.warn({ peer: this.id, err: (err as Error).message }, 'snapshot not sent');
      return false;
    }
    return true;
  }

  /**
   * Samples the round-trip time with an HTTP/2 PING; a PING unanswered for
   * pingTimeoutMs means the peer is gone without a FIN, and the session is dropped.
   */
  ping(now: number): void {
    const session = this.session;
    if (!this.accepted || session === null || this.dialed === null) return;
    if (this.pingSince !== 0) {
      if (now - this.pingSince > this.settings.pingTimeoutMs) {
        this.log.warn(
          { peer: this.id, waitedMs: Math.round(now - this.pingSince) },
          'peer did not answer a ping; reconnecting',
        );
        // The socket too: a graceful end would wait for a FIN the partition never lets out.
        hangUp(this.dialed);
      }
      return;
    }
    try {
      if (session.ping(this.onPing)) this.pingSince = now;
    } catch {
      // The session is closing; its 'close' handler takes over.
    }
  }

  /** Ends the message stream and the session, waiting at most closeTimeoutMs. */
  close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const dialed = this.dialed;
    if (dialed === null || dialed.session.destroyed) {
      if (dialed !== null) hangUp(dialed);
      return Promise.resolve();
    }
    const session = dialed.session;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => hangUp(dialed), this.settings.closeTimeoutMs);
      session.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      try {
        this.flush();
        this.stream?.end();
        session.close();
      } catch (err) {
        this.log.debug({ peer: this.id, err: (err as Error).message }, 'peer session closed uncleanly');
        hangUp(dialed);
      }
    });
  }

  private dial(): void {
    this.retryTimer = null;
    if (this.closed) return;
    const url = this.urls[this.urlIndex % this.urls.length];
    if (url === undefined) {
      this.log.warn({ peer: this.id }, 'peer has no URL to dial');
      return;
    }
    let dialed: Dialed;
    try {
      dialed = dialSession(
        url,
        sessionOptions(this.settings.windows),
        url.startsWith('https:') ? this.settings.clientTls : null,
      );
    } catch (err) {
      this.log.warn({ peer: this.id, url, err: (err as Error).message }, 'cannot dial peer');
      this.urlIndex++;
      this.scheduleRetry();
      return;
    }
    const { session, socket } = dialed;
    this.dialed = dialed;
    this.session = session;
    // Every listener below may run after this dial was given up (a late
    // connect, an answer on a destroyed stream): none may throw, and none acts
    // on a session this link no longer holds.
    const dialLog = this.log.child({ peer: this.id, url });
    const guard = <A extends unknown[]>(what: string, fn: (...args: A) => void) =>
      contained(dialLog, what, () => hangUp(dialed), fn);
    socket.on(
      'error',
      guard('socket error', (err: Error) => {
        this.log.debug({ peer: this.id, url, err: err.message }, 'peer socket error');
      }),
    );
    session.on(
      'error',
      guard('session error', (err: Error) => {
        this.log.debug({ peer: this.id, url, err: err.message }, 'peer session error');
      }),
    );
    session.on(
      'close',
      guard('session close', () => {
        socket.destroy();
        this.down(session);
      }),
    );
    // The peer is shutting down or replacing this session: dial again.
    session.on(
      'goaway',
      guard('goaway', () => hangUp(dialed)),
    );
    session.on(
      'connect',
      guard('connect', () => {
        if (session.destroyed || this.session !== session) return;
        session.setLocalWindowSize(this.settings.windows.sessionWindowBytes);
      }),
    );
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ...this.headers, ':method': 'POST', ':path': PATH_STREAM }, { endStream: false });
    } catch (err) {
      this.log.warn({ peer: this.id, url, err: (err as Error).message }, 'cannot open peer stream');
      hangUp(dialed);
      return;
    }
    this.stream = stream;
    let status = 0;
    let reason = '';
    stream.on(
      'response',
      guard('response', (h: http2.IncomingHttpHeaders) => {
        status = Number(h[':status']);
        if (status === 200) this.accept(session, url);
        else stream.setEncoding('utf8');
      }),
    );
    stream.on(
      'data',
      guard('data', (chunk: string | Buffer) => {
        if (reason.length < REASON_LIMIT) reason += String(chunk);
      }),
    );
    stream.on(
      'error',
      guard('stream error', () => {
        // The close that follows tears the session down.
      }),
    );
    // The peer ends its side after a refusal, or when it shuts down: this session is done either way.
    stream.on(
      'end',
      guard('stream end', () => {
        if (status !== 0 && status !== 200 && this.session === session)
          this.refused(url, status, reason.slice(0, REASON_LIMIT));
        hangUp(dialed);
      }),
    );
    stream.on(
      'close',
      guard('stream close', () => hangUp(dialed)),
    );
    this.dialTimer = setTimeout(
      guard('dial timeout', () => {
        this.dialTimer = null;
        if (!this.accepted && this.session === session) {
          this.log.debug({ peer: this.id, url }, 'peer dial timed out');
          hangUp(dialed);
        }
      }),
      this.settings.dialTimeoutMs,
    );
  }

  private accept(session: http2.ClientHttp2Session, url: string): void {
    if (this.session !== session) return;
    this.accepted = true;
    this.backoff.reset();
    this.lastRefusal = '';
    if (this.dialTimer !== null) clearTimeout(this.dialTimer);
    this.dialTimer = null;
    this.log.info({ peer: this.id, url }, 'peer stream connected');
  }

  private refused(url: string, status: number, reason: string): void {
    // A refusal repeats on every redial; say it again only when it changes.
    const key = `${status} ${reason}`;
    if (key === this.lastRefusal) return;
    this.lastRefusal = key;
    this.log.warn({ peer: this.id, url, status, reason }, 'peer refused our stream');
  }

  private down(session: http2.ClientHttp2Session): void {
    if (this.session !== session) return;
    const wasAccepted = this.accepted;
    this.detach();
    if (this.closed) return;
    // A URL that failed gives way to the next; a session that worked is redialled where it was.
    if (!wasAccepted) this.urlIndex++;
    this.scheduleRetry();
  }

  /** Forgets the current session; its late events no longer reach this link. */
  private detach(): void {
    if (this.dialTimer !== null) clearTimeout(this.dialTimer);
    this.dialTimer = null;
    if (this.accepted) this.log.info({ peer: this.id }, 'peer stream disconnected');
    this.dialed = null;
    this.session = null;
    this.stream = null;
    this.accepted = false;
    this.pingSince = 0;
    this.encoder.reset();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    this.retryTimer = setTimeout(() => this.dial(), this.backoff.next());
  }
}
