// The listening half: accepts the sessions peers dial to us, checks who is
// calling (cluster id, member id, optionally its certificate), decodes their
// message streams and snapshot streams, and answers the few plain requests a
// joining member makes (GET /members, GET /version).

import http2 from 'node:http2';
import type net from 'node:net';
import tls from 'node:tls';
import type pino from 'pino';
import type { MemberId, Message } from '../raft/types.js';
import { presentedCertificate, RefusalLog, TlsGate } from '../tls/index.js';
import { FrameDecoder, FrameError } from './codec.js';
import {
  HEADER_CLUSTER,
  HEADER_FROM,
  HEADER_SNAPSHOT_BYTES,
  HEADER_TO,
  NGHTTP2_CANCEL,
  NGHTTP2_PROTOCOL_ERROR,
  PATH_DASHBOARD_PREFIX,
  PATH_MEMBERS,
  PATH_SNAPSHOT,
  PATH_STREAM,
  PATH_VERSION,
  sessionOptions,
  type WindowSizes,
} from './protocol.js';
import { SnapshotReceiver } from './snapshot.js';
import type { PeerCounters } from './stats.js';

export type ServerTlsOptions = tls.SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean };

export interface PeerServerHooks {
  readonly self: MemberId;
  readonly clusterId: string;
  readonly serverTls: ServerTlsOptions | null;
  readonly windows: WindowSizes;
  readonly maxFrameBytes: number;
  readonly maxSnapshotBytes: number;
  readonly closeTimeoutMs: number;
  isKnownMember(id: MemberId): boolean;
  verifyPeer: ((cert: tls.PeerCertificate) => string | null) | null;
  membersJSON: (() => unknown) | null;
  versionJSON: (() => unknown) | null;
  /** Body of a GET under /dashboard/ (given the path and query); null answers 404. */
  dashboardJSON: ((pathAndQuery: string) => unknown) | null;
  /** Counters of a member, created on first use. */
  countersOf(id: MemberId): PeerCounters;
  deliver(m: Message): void;
}

interface Refusal {
  readonly status: number;
  readonly reason: string;
}

export class PeerServer {
  private server: http2.Http2Server | http2.Http2SecureServer | null = null;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** The open message stream of each member; a newer one replaces it. */
  private readonly incoming = new Map<MemberId, http2.ServerHttp2Stream>();
  /** verifyPeer's verdict, once per session. */
  private readonly certVerdicts = new WeakMap<http2.Http2Session, string | null>();
  private gate: TlsGate | null = null;
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
    const opts = sessionOptions(this.hooks.windows);
    const serverTls = this.hooks.serverTls;
    let server: http2.Http2Server | http2.Http2SecureServer;
    if (secure && serverTls !== null) {
      const gate = new TlsGate(serverTls, this.log, 'peer');
      const secureServer = http2.createSecureServer({ ...opts, minVersion: 'TLSv1.2', ...gate.serverOptions, allowHTTP1: false });
      // Before the listener http2 registered: a refused socket never carries a stream.
      secureServer.prependListener('secureConnection', (socket: tls.TLSSocket) => gate.admit(socket));
      secureServer.on('tlsClientError', (err, socket: tls.TLSSocket) => gate.handshakeFailed(err, socket));
      this.gate = gate;
      server = secureServer;
    } else {
      server = http2.createServer(opts);
    }
    server.on('session', (session) => this.trackSession(session));
    server.on('stream', (stream, headers) => this.route(stream, headers));
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
    return `${u.protocol}//${shownHost}:${bound.port}`;
  }

  /** Closes the message stream a member has open to us (it was removed). */
  dropMember(id: MemberId): void {
    const stream = this.incoming.get(id);
    if (stream === undefined) return;
    this.incoming.delete(id);
    stream.close(NGHTTP2_CANCEL);
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
    for (const s of this.sessions) s.close();
    const timer = setTimeout(() => {
      for (const s of this.sessions) s.destroy();
    }, this.hooks.closeTimeoutMs);
    await closed;
    clearTimeout(timer);
  }

  private trackSession(session: http2.ServerHttp2Session): void {
    // http2 still makes a session for a socket the gate refused.
    if (session.destroyed || session.socket?.destroyed !== false) {
      session.destroy();
      return;
    }
    this.sessions.add(session);
    session.on('close', () => this.sessions.delete(session));
    session.on('error', (err) => this.log.debug({ err: err.message }, 'peer session error'));
    session.setLocalWindowSize(this.hooks.windows.sessionWindowBytes);
  }

  private route(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', (err) => this.log.debug({ err: err.message }, 'peer stream error'));
    const method = headers[':method'];
    const path = headers[':path'];
    if (method === 'POST' && path === PATH_STREAM) return this.acceptMessages(stream, headers);
    if (method === 'POST' && path === PATH_SNAPSHOT) return this.acceptSnapshot(stream, headers);
    if (method === 'GET' && path === PATH_MEMBERS) return this.answerJSON(stream, headers, this.hooks.membersJSON);
    if (method === 'GET' && path === PATH_VERSION) return this.answerJSON(stream, headers, this.hooks.versionJSON);
    const dashboard = this.hooks.dashboardJSON;
    if (method === 'GET' && typeof path === 'string' && path.startsWith(PATH_DASHBOARD_PREFIX)) {
      return this.answerJSON(stream, headers, dashboard && (() => dashboard(path)));
    }
    this.answer(stream, 404, 'not found');
  }

  private acceptMessages(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const from = this.checkPeer(stream, headers);
    if (from === null) return;
    const previous = this.incoming.get(from);
    if (previous !== undefined) previous.close(NGHTTP2_CANCEL);
    this.incoming.set(from, stream);
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
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      counters.recvBytes += chunk.length;
      try {
        decoder.push(chunk);
      } catch (err) {
        failed = true;
        this.log.warn({ from, remote: remoteOf(stream.session), err: (err as Error).message }, 'bad frame on peer stream; closing it');
        stream.close(NGHTTP2_PROTOCOL_ERROR);
      }
    });
    stream.on('end', () => stream.end());
    stream.on('close', () => {
      if (this.incoming.get(from) === stream) this.incoming.delete(from);
    });
  }

  private acceptSnapshot(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const from = this.checkPeer(stream, headers);
    if (from === null) return;
    const declared = headers[HEADER_SNAPSHOT_BYTES];
    const bytes = typeof declared === 'string' && /^\d{1,16}$/.test(declared) ? Number(declared) : -1;
    if (bytes < 0) return this.refuse(stream, headers, { status: 400, reason: `missing or bad ${HEADER_SNAPSHOT_BYTES}` });
    if (bytes > this.hooks.maxSnapshotBytes) {
      return this.refuse(stream, headers, { status: 413, reason: `snapshot of ${bytes} bytes exceeds ${this.hooks.maxSnapshotBytes}` });
    }
    const counters = this.hooks.countersOf(from);
    const receiver = new SnapshotReceiver(bytes);
    let failed = false;
    const fail = (err: unknown): void => {
      failed = true;
      const reason = (err as Error).message;
      this.log.warn({ from, remote: remoteOf(stream.session), reason }, 'bad snapshot stream');
      this.answer(stream, 400, reason);
    };
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      counters.recvBytes += chunk.length;
      try {
        receiver.push(chunk);
      } catch (err) {
        fail(err);
      }
    });
    stream.on('end', () => {
      if (failed) return;
      let m: Message;
      try {
        m = receiver.finish();
      } catch (err) {
        fail(err);
        return;
      }
      if (m.from !== from || m.to !== this.hooks.self) {
        fail(new FrameError(`snapshot from ${m.from} to ${m.to} on a stream of ${from} to ${this.hooks.self}`));
        return;
      }
      counters.recvMsgs++;
      this.log.info({ from, bytes }, 'snapshot received');
      this.hooks.deliver(m);
      if (!stream.destroyed) {
        stream.respond({ ':status': 204, [HEADER_CLUSTER]: this.hooks.clusterId });
        stream.end();
      }
    });
  }

  private answerJSON(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    source: (() => unknown) | null,
  ): void {
    const cluster = headers[HEADER_CLUSTER];
    if (cluster !== undefined && cluster !== this.hooks.clusterId) {
      return this.refuse(stream, headers, { status: 412, reason: `cluster id mismatch: ours is ${this.hooks.clusterId}` });
    }
    // A member whose certificate is not allowed may not read the member list to join with either.
    const certReason = this.certReason(stream.session);
    if (certReason !== null) return this.refuse(stream, headers, { status: 403, reason: certReason });
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
      return { status: 412, reason: `cluster id mismatch: ours is ${this.hooks.clusterId}, the peer's is ${String(cluster ?? 'missing')}` };
    }
    const to = headers[HEADER_TO];
    if (to !== undefined && to !== this.hooks.self) {
      return { status: 412, reason: `member id mismatch: this is ${this.hooks.self}, not ${String(to)}` };
    }
    const from = headers[HEADER_FROM];
    if (typeof from !== 'string' || from === '') return { status: 403, reason: `missing ${HEADER_FROM}` };
    if (!this.hooks.isKnownMember(from as MemberId)) return { status: 403, reason: `${from} is not a member of this cluster` };
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

  private answer(stream: http2.ServerHttp2Stream, status: number, text: string): void {
    if (stream.destroyed) return;
    if (!stream.headersSent) {
      stream.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8', [HEADER_CLUSTER]: this.hooks.clusterId });
    }
    stream.end(text);
    // Whatever the peer still sends is not wanted.
    stream.resume();
  }
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
function certificateOf(session: http2.Http2Session | undefined): { certificate?: ReturnType<typeof presentedCertificate> } {
  const socket = session?.socket;
  if (!(socket instanceof tls.TLSSocket)) return {};
  const certificate = presentedCertificate(socket);
  return certificate === undefined ? {} : { certificate };
}

function remoteOfSocket(socket: net.Socket | undefined): string {
  const address = socket?.remoteAddress;
  return address === undefined ? 'unknown' : `${address}:${socket!.remotePort}`;
}
