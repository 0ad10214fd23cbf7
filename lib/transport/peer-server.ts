// The listening half: accepts the sessions peers dial to us, checks who is
// calling (cluster id, member id, optionally its certificate), decodes their
// message streams and snapshot streams, and answers the few plain requests a
// joining member makes (GET /members, GET /version).
//
// Each member has one message stream to us. A live one is replaced only by a
// stream with the same certificate identity (TLS with client certificates);
// any other newcomer is refused until the current stream's connection closes
// or stops answering our pings, so a stranger cannot cut a member off by
// dialling in its name. Every listener runs through contained(): nothing a peer sends
// can throw out of here.

import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type pino from 'pino';
import type { MemberId, Message } from '../wire/index.js';
import { presentedCertificate, RefusalLog, TlsGate } from '../tls/index.js';
import { FrameDecoder, FrameError } from './codec.js';
import { contained } from './contain.js';
import {
  HEADER_CLUSTER,
  HEADER_FROM,
  HEADER_SNAPSHOT_BYTES,
  HEADER_TO,
  NGHTTP2_CANCEL,
  NGHTTP2_NO_ERROR,
  NGHTTP2_PROTOCOL_ERROR,
  PATH_DASHBOARD_PREFIX,
  PATH_HASH,
  PATH_MEMBERS,
  PATH_SNAPSHOT,
  PATH_STREAM,
  PATH_VERSION,
  sessionOptions,
  type WindowSizes,
} from './protocol.js';
import { IncomingSnapshot, prepareSnapshotDir } from './snapshot-receiver.js';
import type { PeerCounters } from './stats.js';

export type ServerTlsOptions = tls.SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean };

export interface PeerServerHooks {
  readonly self: MemberId;
  readonly clusterId: string;
  readonly serverTls: ServerTlsOptions | null;
  readonly windows: WindowSizes;
  readonly maxFrameBytes: number;
  readonly maxSnapshotBytes: number;
  /** Where incoming snapshots are written as they arrive. */
  readonly snapshotDir: string;
  /** Snapshots received at once, from all members together (one per member at most). */
  readonly maxIncomingSnapshots: number;
  /** A snapshot stream that carries nothing for this long is dropped. */
  readonly snapshotIdleMs: number;
  /** A session whose last answered ping is older than this is dead. */
  readonly pingTimeoutMs: number;
  readonly closeTimeoutMs: number;
  isKnownMember(id: MemberId): boolean;
  verifyPeer: ((cert: tls.PeerCertificate) => string | null) | null;
  membersJSON: (() => unknown) | null;
  versionJSON: (() => unknown) | null;
  /** Body of a GET under /dashboard/ (given the path and query); null answers 404. */
  dashboardJSON: ((pathAndQuery: string) => unknown) | null;
  /** Body of a GET /hash (given the query string), once computed; null answers 404. */
  hashJSON: ((query: string) => Promise<unknown>) | null;
  /** Counters of a member, created on first use. */
  countersOf(id: MemberId): PeerCounters;
  deliver(m: Message): void;
}

interface Refusal {
  readonly status: number;
  readonly reason: string;
}

/** What we know of a session a peer dialled to us. */
interface Liveness {
  /** When our outstanding PING was sent (performance.now()), 0 when none is. */
  pingSince: number;
}

interface MessageStream {
  readonly stream: http2.ServerHttp2Stream;
  /** The sender's certificate identity, null without a client certificate. */
  readonly identity: string | null;
}

export class PeerServer {
  private server: http2.Http2Server | http2.Http2SecureServer | null = null;
  private readonly sessions = new Map<http2.Http2Session, Liveness>();
  /** The open message stream of each member. */
  private readonly incoming = new Map<MemberId, MessageStream>();
  /** The snapshot each member is sending us. */
  private readonly receiving = new Map<MemberId, IncomingSnapshot>();
  /** verifyPeer's verdict, once per session. */
  private readonly certVerdicts = new WeakMap<http2.Http2Session, string | null>();
  private gate: TlsGate | null = null;
  private snapshotDirReady = false;
  /** A refused peer redials, with back-off, for as long as it runs: its refusals are rate-limited. */
  private readonly refusals: RefusalLog;

  constructor(
    private readonly hooks: PeerServerHooks,
    private readonly log: pino.Logger,
  ) {
    this.refusals = new RefusalLog(log, 'refused peer stream');
  }

  /** Listens on url (http: for h2c, https: for h2 over TLS); resolves to the bound URL. */
  async listen(url: string): Promise<string> {
    if (this.server !== null) throw new Error('peer server is already listening');
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    if (!secure && u.protocol !== 'http:') throw new Error(`peer URL ${url}: only http: and https: are supported`);
    if (secure && this.hooks.serverTls === null) throw new Error(`peer URL ${url} needs TLS options`);
    if (!this.snapshotDirReady) {
      // Once, before the first listener: later ones must not remove what peers are sending by then.
      const leftovers = await prepareSnapshotDir(this.hooks.snapshotDir);
      if (leftovers.length > 0)
        this.log.info({ removed: leftovers }, 'removed incoming snapshot files left by an earlier run');
      this.snapshotDirReady = true;
    }
    const opts = sessionOptions(this.hooks.windows);
    const serverTls = this.hooks.serverTls;
    let server: http2.Http2Server | http2.Http2SecureServer;
    if (secure && serverTls !== null) {
      const gate = new TlsGate(serverTls, this.log, 'peer');
      const secureServer = http2.createSecureServer({
        ...opts,
        minVersion: 'TLSv1.2',
        ...gate.serverOptions,
        allowHTTP1: false,
      });
      // Before the listener http2 registered: a refused socket never carries a stream.
      secureServer.prependListener('secureConnection', (socket: tls.TLSSocket) => {
        contained(
          this.log,
          'secureConnection',
          () => socket.destroy(),
          () => gate.admit(socket),
        )();
      });
      secureServer.on('tlsClientError', (err, socket: tls.TLSSocket) => {
        contained(
          this.log,
          'tlsClientError',
          () => socket.destroy(),
          () => gate.handshakeFailed(err, socket),
        )();
      });
      this.gate = gate;
      server = secureServer;
    } else {
      server = http2.createServer(opts);
    }
    // As on the dialling side: no Nagle delay for small raft messages.
    server.on('connection', (socket: net.Socket) => socket.setNoDelay(true));
    server.on('session', (session) => this.trackSession(session));
    server.on('stream', (stream, headers) => {
      const guard = contained(
        this.log,
        'stream',
        () => stream.destroy(),
        (h: http2.IncomingHttpHeaders) => this.route(stream, h),
      );
      guard(headers);
    });
    server.on('sessionError', (err) => this.log.debug({ err: err.message }, 'peer session error'));
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = u.port === '' ? (secure ? 443 : 80) : Number(u.port);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err: err.message }, 'peer server error'));
    this.server = server;
    const bound = server.address() as net.AddressInfo;
    const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    const boundUrl = `${u.protocol}//${shownHost}:${bound.port}`;
    if (!secure && !isLoopback(bound.address)) {
      this.log.warn(
        { url: boundUrl },
        "the peer port is plain HTTP on a non-loopback address: anyone who can reach it can send raft messages in a member's name; " +
          'use https peer URLs with peer client certificates (see docs/tls.md)',
      );
    }
    return boundUrl;
  }

  /** Closes the message stream a member has open to us (it was removed). */
  dropMember(id: MemberId): void {
    const current = this.incoming.get(id);
    if (current === undefined) return;
    this.incoming.delete(id);
    current.stream.close(NGHTTP2_CANCEL);
  }

  /**
   * Pings every session peers dialled to us, and ends those whose last ping
   * went unanswered for pingTimeoutMs: a peer that vanished without a FIN
   * (a partition, a dead host) would otherwise hold its stream, and the
   * member's place, for good.
   */
  ping(now: number): void {
    for (const [session, live] of this.sessions) {
      if (live.pingSince !== 0) {
        if (now - live.pingSince > this.hooks.pingTimeoutMs) {
          this.log.warn(
            { remote: remoteOf(session), waitedMs: Math.round(now - live.pingSince) },
            'peer session did not answer a ping; closing it',
          );
          session.destroy();
        }
        continue;
      }
      try {
        const sent = session.ping(() => {
          live.pingSince = 0;
        });
        if (sent) live.pingSince = now;
      } catch {
        // The session is closing; its 'close' handler forgets it.
      }
    }
  }

  /** Rotation: new handshakes get the new certificate, established sessions keep theirs. */
  setSecureContext(ctx: tls.SecureContextOptions): void {
    if (this.server !== null && 'setSecureContext' in this.server) this.server.setSecureContext(ctx);
  }

  /** Stops listening and ends every session, forcibly after closeTimeoutMs. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    this.gate?.close();
    this.refusals.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // GOAWAY makes a well-behaved peer close its streams and the session with them.
    for (const s of this.sessions.keys()) s.close();
    const timer = setTimeout(() => {
      for (const s of this.sessions.keys()) s.destroy();
    }, this.hooks.closeTimeoutMs);
    await closed;
    clearTimeout(timer);
    await Promise.all([...this.receiving.values()].map((r) => r.abort()));
    this.receiving.clear();
  }

  private trackSession(session: http2.ServerHttp2Session): void {
    const guard = <A extends unknown[]>(what: string, fn: (...args: A) => void) =>
      contained(this.log, what, () => session.destroy(), fn);
    guard('session', () => {
      // http2 still makes a session for a socket the gate refused.
      if (session.destroyed || session.socket?.destroyed !== false) {
        session.destroy();
        return;
      }
      this.sessions.set(session, { pingSince: 0 });
      session.on(
        'close',
        guard('session close', () => this.sessions.delete(session)),
      );
      session.on(
        'error',
        guard('session error', (err: Error) => this.log.debug({ err: err.message }, 'peer session error')),
      );
      session.setLocalWindowSize(this.hooks.windows.sessionWindowBytes);
    })();
  }

  private route(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on(
      'error',
      this.guard(stream, 'stream error', (err: Error) => this.log.debug({ err: err.message }, 'peer stream error')),
    );
    const method = headers[':method'];
    const path = headers[':path'];
    if (method === 'POST' && path === PATH_STREAM) return this.acceptMessages(stream, headers);
    if (method === 'POST' && path === PATH_SNAPSHOT) return this.acceptSnapshot(stream, headers);
    if (method === 'GET' && path === PATH_MEMBERS) return this.answerJSON(stream, headers, this.hooks.membersJSON);
    if (method === 'GET' && path === PATH_VERSION) return this.answerJSON(stream, headers, this.hooks.versionJSON);
    const hash = this.hooks.hashJSON;
    if (method === 'GET' && typeof path === 'string' && (path === PATH_HASH || path.startsWith(PATH_HASH + '?'))) {
      void this.answerLaterJSON(stream, headers, hash && (() => hash(path.slice(PATH_HASH.length + 1))));
      return;
    }
    const dashboard = this.hooks.dashboardJSON;
    if (method === 'GET' && typeof path === 'string' && path.startsWith(PATH_DASHBOARD_PREFIX)) {
      return this.answerJSON(stream, headers, dashboard && (() => dashboard(path)));
    }
    this.answer(stream, 404, 'not found');
  }

  private acceptMessages(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const from = this.checkPeer(stream, headers);
    if (from === null) return;
    const identity = identityOf(stream.session);
    const current = this.incoming.get(from);
    if (current !== undefined) {
      const refusal = this.replacement(from, current, identity, stream);
      if (refusal !== null) return this.refuse(stream, headers, refusal);
      current.stream.close(NGHTTP2_CANCEL);
    }
    this.incoming.set(from, { stream, identity });
    stream.respond({ ':status': 200, [HEADER_CLUSTER]: this.hooks.clusterId });
    this.log.info({ from, remote: remoteOf(stream.session), ...certificateOf(stream.session) }, 'peer stream accepted');
    const counters = this.hooks.countersOf(from);
    const self = this.hooks.self;
    const decoder = new FrameDecoder((m) => {
      if (m.from !== from || m.to !== self) {
        throw new FrameError(`message from ${m.from} to ${m.to} on the stream of ${from} to ${self}`);
      }
      counters.recvMsgs++;
      this.hooks.deliver(m);
    }, this.hooks.maxFrameBytes);
    let failed = false;
    stream.on(
      'data',
      this.guard(stream, 'data', (chunk: Buffer) => {
        if (failed) return;
        counters.recvBytes += chunk.length;
        try {
          decoder.push(chunk);
        } catch (err) {
          failed = true;
          this.log.warn(
            { from, remote: remoteOf(stream.session), err: (err as Error).message },
            'bad frame on peer stream; closing it',
          );
          stream.close(NGHTTP2_PROTOCOL_ERROR);
        }
      }),
    );
    stream.on(
      'end',
      this.guard(stream, 'end', () => stream.end()),
    );
    stream.on(
      'close',
      this.guard(stream, 'close', () => {
        if (this.incoming.get(from)?.stream === stream) this.incoming.delete(from);
      }),
    );
  }

  /**
   * Whether a new message stream from `from` may replace the live one: null
   * when it may (the same certificate identity), else why not. Without client
   * certificates nobody's identity is known, so a live stream is never
   * replaced: the member's place frees when its connection closes or stops
   * answering our pings (ping()), and its own redial then gets in.
   */
  private replacement(
    from: MemberId,
    current: MessageStream,
    identity: string | null,
    stream: http2.ServerHttp2Stream,
  ): Refusal | null {
    if (identity !== null && identity === current.identity) {
      this.log.info(
        { from, remote: remoteOf(stream.session), previous: remoteOf(current.stream.session) },
        'peer stream replaced by one with the same certificate',
      );
      return null;
    }
    const whose = identity === null ? 'another connection' : 'a connection with another certificate';
    return { status: 409, reason: `member ${from} already has a live message stream; ${whose} may not replace it` };
  }

  private acceptSnapshot(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const from = this.checkPeer(stream, headers);
    if (from === null) return;
    const declared = headers[HEADER_SNAPSHOT_BYTES];
    const bytes = typeof declared === 'string' && /^\d{1,16}$/.test(declared) ? Number(declared) : -1;
    if (bytes < 0)
      return this.refuse(stream, headers, { status: 400, reason: `missing or bad ${HEADER_SNAPSHOT_BYTES}` });
    if (bytes > this.hooks.maxSnapshotBytes) {
      return this.refuse(stream, headers, {
        status: 413,
        reason: `snapshot of ${bytes} bytes exceeds ${this.hooks.maxSnapshotBytes}`,
      });
    }
    if (this.receiving.has(from)) {
      return this.refuse(stream, headers, { status: 429, reason: `a snapshot from ${from} is already being received` });
    }
    if (this.receiving.size >= this.hooks.maxIncomingSnapshots) {
      return this.refuse(stream, headers, {
        status: 429,
        reason: `${this.receiving.size} snapshots are already being received`,
      });
    }
    const counters = this.hooks.countersOf(from);
    const receiver = new IncomingSnapshot(this.hooks.snapshotDir, from, bytes, () => stream.resume());
    this.receiving.set(from, receiver);
    let state: 'receiving' | 'finishing' | 'over' = 'receiving';
    const release = (): void => {
      if (this.receiving.get(from) === receiver) this.receiving.delete(from);
    };
    const fail = (err: unknown, status = 400): void => {
      if (state === 'over') return;
      state = 'over';
      release();
      void receiver.abort();
      const reason = (err as Error).message;
      this.log.warn(
        { from, remote: remoteOf(stream.session), reason, received: receiver.bytes },
        'bad snapshot stream',
      );
      this.answer(stream, status, reason);
    };
    stream.setTimeout(
      this.hooks.snapshotIdleMs,
      this.guard(stream, 'snapshot timeout', () => {
        if (state === 'receiving') fail(new Error(`snapshot stream idle for ${this.hooks.snapshotIdleMs} ms`), 408);
      }),
    );
    stream.on(
      'data',
      this.guard(stream, 'snapshot data', (chunk: Buffer) => {
        if (state !== 'receiving') return;
        counters.recvBytes += chunk.length;
        try {
          const hadHeader = receiver.message !== null;
          if (!receiver.push(chunk)) stream.pause();
          const m = receiver.message;
          if (!hadHeader && m !== null && (m.from !== from || m.to !== this.hooks.self)) {
            throw new FrameError(`snapshot from ${m.from} to ${m.to} on a stream of ${from} to ${this.hooks.self}`);
          }
        } catch (err) {
          // A malformed body is the sender's fault; a file we cannot write is ours.
          fail(err, err instanceof FrameError ? 400 : 500);
        }
      }),
    );
    const gaveUp = (): void => {
      if (state !== 'receiving') return;
      state = 'over';
      release();
      void receiver.abort();
      this.log.warn({ from, received: receiver.bytes, declared: bytes }, 'snapshot stream closed before its end');
    };
    stream.on(
      'end',
      this.guard(stream, 'snapshot end', () => {
        // A reset stream ends its readable side too: that is the sender giving up, not finishing.
        if (stream.aborted) return gaveUp();
        if (state !== 'receiving') return;
        state = 'finishing';
        receiver
          .finish()
          .then(
            (m) => {
              if (state !== 'finishing') return;
              state = 'over';
              release();
              counters.recvMsgs++;
              this.log.info({ from, bytes }, 'snapshot received');
              this.hooks.deliver(m);
              if (!stream.destroyed && !stream.closed && !stream.headersSent) {
                stream.respond({ ':status': 204, [HEADER_CLUSTER]: this.hooks.clusterId });
                stream.end();
              }
            },
            (err: unknown) => fail(err, err instanceof FrameError ? 400 : 500),
          )
          .catch((err: unknown) => this.log.error({ err, from }, 'cannot finish receiving a snapshot'));
      }),
    );
    stream.on('aborted', this.guard(stream, 'snapshot aborted', gaveUp));
    stream.on('close', this.guard(stream, 'snapshot close', gaveUp));
  }

  private answerJSON(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    source: (() => unknown) | null,
  ): void {
    const refusal = this.jsonRefusal(stream, headers);
    if (refusal !== null) return this.refuse(stream, headers, refusal);
    if (source === null) return this.answer(stream, 404, 'not found');
    let body: string;
    try {
      const value = source();
      if (value === null) return this.answer(stream, 404, 'not found');
      body = JSON.stringify(value);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'cannot answer a peer request');
      return this.answer(stream, 500, 'internal error');
    }
    stream.respond({ ':status': 200, 'content-type': 'application/json', [HEADER_CLUSTER]: this.hooks.clusterId });
    stream.end(body);
  }

  /** Why a GET of JSON is refused (another cluster, a certificate not allowed), or null. */
  private jsonRefusal(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Refusal | null {
    const cluster = headers[HEADER_CLUSTER];
    if (cluster !== undefined && cluster !== this.hooks.clusterId) {
      return { status: 412, reason: `cluster id mismatch: ours is ${this.hooks.clusterId}` };
    }
    // A member whose certificate is not allowed may not read the member list to join with either.
    const certReason = this.certReason(stream.session);
    return certReason === null ? null : { status: 403, reason: certReason };
  }

  /** answerJSON for a body computed asynchronously (after the checks); the stream may have gone meanwhile. */
  private async answerLaterJSON(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    source: (() => Promise<unknown>) | null,
  ): Promise<void> {
    const refusal = this.jsonRefusal(stream, headers);
    if (refusal !== null) return this.refuse(stream, headers, refusal);
    let value: unknown;
    try {
      value = source === null ? null : await source();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'cannot answer a peer request');
      return this.answer(stream, 500, 'internal error');
    }
    if (stream.destroyed || stream.closed) return;
    this.answerJSON(stream, headers, source && (() => value));
  }

  /** Returns the calling member's id, or refuses the stream and returns null. */
  private checkPeer(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): MemberId | null {
    const refusal = this.refusalOf(stream, headers);
    if (refusal === null) return headers[HEADER_FROM] as MemberId;
    this.refuse(stream, headers, refusal);
    return null;
  }

  private refusalOf(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Refusal | null {
    const cluster = headers[HEADER_CLUSTER];
    if (cluster !== this.hooks.clusterId) {
      return {
        status: 412,
        reason: `cluster id mismatch: ours is ${this.hooks.clusterId}, the peer's is ${String(cluster ?? 'missing')}`,
      };
    }
    const to = headers[HEADER_TO];
    if (to !== undefined && to !== this.hooks.self) {
      return { status: 412, reason: `member id mismatch: this is ${this.hooks.self}, not ${String(to)}` };
    }
    const from = headers[HEADER_FROM];
    if (typeof from !== 'string' || from === '') return { status: 403, reason: `missing ${HEADER_FROM}` };
    if (!this.hooks.isKnownMember(from as MemberId))
      return { status: 403, reason: `${from} is not a member of this cluster` };
    const certReason = this.certReason(stream.session);
    if (certReason !== null) return { status: 403, reason: certReason };
    return null;
  }

  private certReason(session: http2.Http2Session | undefined): string | null {
    const verify = this.hooks.verifyPeer;
    if (verify === null || session === undefined) return null;
    const known = this.certVerdicts.get(session);
    if (known !== undefined) return known;
    let verdict: string | null;
    try {
      const socket = session.socket;
      if (!(socket instanceof tls.TLSSocket)) verdict = null;
      else {
        const cert = socket.getPeerCertificate();
        verdict = cert === null || Object.keys(cert).length === 0 ? 'no client certificate' : verify(cert);
      }
    } catch (err) {
      verdict = `cannot check the client certificate: ${(err as Error).message}`;
    }
    this.certVerdicts.set(session, verdict);
    return verdict;
  }

  private refuse(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, r: Refusal): void {
    this.refusals.refused({
      remote: remoteOf(stream.session),
      from: headers[HEADER_FROM],
      clusterId: headers[HEADER_CLUSTER],
      path: headers[':path'],
      status: r.status,
      reason: r.reason,
      ...certificateOf(stream.session),
    });
    this.answer(stream, r.status, r.reason);
  }

  /** A listener for an event of stream; a throw in it ends only that stream. */
  private guard<A extends unknown[]>(
    stream: http2.ServerHttp2Stream,
    what: string,
    fn: (...args: A) => void,
  ): (...args: A) => void {
    return contained(this.log, what, () => stream.destroy(), fn);
  }

  private answer(stream: http2.ServerHttp2Stream, status: number, text: string): void {
    if (stream.destroyed || stream.closed) return;
    if (!stream.headersSent) {
      stream.respond({
        ':status': status,
        'content-type': 'text/plain; charset=utf-8',
        [HEADER_CLUSTER]: this.hooks.clusterId,
      });
    }
    stream.end(text);
    // Whatever the peer still sends is not wanted: after a complete answer,
    // RST_STREAM(NO_ERROR) asks it to stop sending (RFC 7540, 8.1).
    stream.close(NGHTTP2_NO_ERROR);
  }
}

/** Whether an address a server is bound to is reachable only from this host. */
export function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (net.isIPv4(v4)) return v4.startsWith('127.');
  return address === '::1';
}

function remoteOf(session: http2.Http2Session | undefined): string {
  try {
    return remoteOfSocket(session?.socket);
  } catch {
    // The session has already let go of its socket.
    return 'unknown';
  }
}

/** The certificate a TLS peer presented, as log fields; none for h2c. */
function certificateOf(session: http2.Http2Session | undefined): {
  certificate?: ReturnType<typeof presentedCertificate>;
} {
  const socket = tlsSocketOf(session);
  if (socket === null) return {};
  const certificate = presentedCertificate(socket);
  return certificate === undefined ? {} : { certificate };
}

/**
 * Who a TLS client certificate says its holder is: issuer, subject and
 * alternative names (a renewed certificate for the same holder keeps them).
 * Null without a client certificate.
 */
function identityOf(session: http2.Http2Session | undefined): string | null {
  const socket = tlsSocketOf(session);
  if (socket === null) return null;
  try {
    const cert = socket.getPeerX509Certificate();
    return cert === undefined ? null : `${cert.issuer}\n--\n${cert.subject}\n--\n${cert.subjectAltName ?? ''}`;
  } catch {
    return null;
  }
}

/** The session's TLS socket, or null for h2c or a session that let go of its socket. */
function tlsSocketOf(session: http2.Http2Session | undefined): tls.TLSSocket | null {
  try {
    const socket = session?.socket;
    return socket instanceof tls.TLSSocket ? socket : null;
  } catch {
    return null;
  }
}

function remoteOfSocket(socket: net.Socket | undefined): string {
  const address = socket?.remoteAddress;
  return address === undefined ? 'unknown' : `${address}:${socket!.remotePort}`;
}
