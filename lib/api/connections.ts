// Accepting connections: telling HTTP/1.1 from h2c on a plaintext port by the
// connection preface, or HTTP/2 from HTTP/1.1 by ALPN under TLS; handing each
// connection to the matching node:http / node:http2 server; running an
// HTTP/1.1 connection's requests one at a time in arrival order (HTTP/2
// streams stay concurrent); and closing them all gracefully (idle ones at
// once, busy ones after their response, HTTP/2 sessions with GOAWAY) when
// the API stops.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { Http1Exchange, Http2Exchange, type Exchange, type ResponseObserver } from './exchange.js';
import { Http1Pipeline } from './http1-pipeline.js';
import { recoverHead } from './refused-head.js';
import { replyBadRequest } from './respond.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** What Go answers (and then closes) when it cannot parse a request. */
const BAD_REQUEST =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request';
const HEADERS_TOO_LARGE =
  'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large';

/**
 * Go's http.DefaultMaxHeaderBytes (1 MiB), plus the 4096 bytes of slack its
 * server allows: the request line and headers of one request, on HTTP/1.1
 * and HTTP/2 alike.
 */
export const MAX_HEADER_BYTES = (1 << 20) + 4096;

/** HTTP/2 header fields per request; Node's default (128) refuses requests Go serves. */
const MAX_HEADER_PAIRS = 2000;

/**
 * HTTP/2 session memory (MB) before Node refuses new streams: room for
 * several 1 MiB header blocks on top of the default 10 MB.
 */
const MAX_SESSION_MEMORY_MB = 32;

/**
 * The largest HTTP/2 frame a client may send. nghttp2 accepts a header block
 * in at most 9 frames (HEADERS and 8 CONTINUATION); with the 16 KiB default
 * that is about 144 KiB, so clients are let send bigger frames to fit
 * MAX_HEADER_BYTES.
 */
const MAX_FRAME_BYTES = 1 << 17;

/** Requests parsed ahead on one HTTP/1.1 connection; past it the socket is not read until they drain. */
const MAX_PIPELINED_REQUESTS = 128;

/** A connection handed to one of the servers. */
type Connection = { readonly kind: 'h2' } | Http1Connection;

interface Http1Connection {
  readonly kind: 'h1';
  readonly pipeline: Http1Pipeline;
  /** The last request the parser handed over: the one whose body is being read, if any. */
  latest: IncomingMessage | null;
}

export class Connections {
  private readonly http1: http.Server;
  private readonly http2: http2.Http2Server;
  /** Every accepted TCP socket (under TLS, the raw one), until it closes. */
  private readonly sockets = new Set<Socket>();
  /** Plaintext sockets still waiting for their first bytes. */
  private readonly sniffing = new Set<Socket>();
  /** Dispatched connections, by the socket the HTTP servers see. */
  private readonly connections = new Map<Socket, Connection>();
  private readonly sessions = new Set<Http2Session>();
  private closing = false;

  constructor(
    private readonly onExchange: (ex: Exchange) => void,
    private readonly logger: Logger,
    private readonly observe: ResponseObserver | null = null,
  ) {
    // Go keeps idle connections open and requires Host itself (see begin).
    this.http1 = http.createServer(
      { keepAliveTimeout: 0, requireHostHeader: false, maxHeaderSize: MAX_HEADER_BYTES },
      (req, res) => this.onRequest(req, res),
    );
    this.http1.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
    this.http1.on('connect', (req: IncomingMessage, socket: Socket) => this.onConnectMethod(req, socket));
    this.http2 = http2.createServer({
      maxHeaderListPairs: MAX_HEADER_PAIRS,
      maxSessionMemory: MAX_SESSION_MEMORY_MB,
      settings: { maxHeaderListSize: MAX_HEADER_BYTES, maxFrameSize: MAX_FRAME_BYTES },
    });
    this.http2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) =>
      this.onStream(stream, headers),
    );
    this.http2.on('session', (session: Http2Session) => this.onSession(session));
  }

  /** A new TCP socket; it is destroyed at close() if still open. */
  track(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    // Sockets handed over by our own net/tls server miss http's noDelay default:
    // without it, a response written in two pieces waits for a delayed ACK (40 ms).
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** A plaintext connection: HTTP/2 if it opens with the preface, else HTTP/1.1. */
  sniff(socket: Socket): void {
    let seen: Buffer = Buffer.alloc(0);
    const onError = (err: Error): void => this.logger.debug({ err }, 'client connection error');
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null)
        seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const h2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (h2 && seen.length < PREFACE.length) return;
      socket.removeListener('readable', onReadable);
      socket.removeListener('error', onError);
      this.sniffing.delete(socket);
      socket.unshift(seen);
      this.dispatch(socket, h2);
    };
    this.sniffing.add(socket);
    socket.once('close', () => this.sniffing.delete(socket));
    socket.on('error', onError);
    socket.on('readable', onReadable);
  }

  /** Hands a connection to the HTTP/2 or the HTTP/1.1 server. */
  dispatch(socket: Socket | TLSSocket, h2: boolean): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.connections.set(
      socket,
      h2 ? { kind: 'h2' } : { kind: 'h1', pipeline: new Http1Pipeline(socket, MAX_PIPELINED_REQUESTS), latest: null },
    );
    socket.once('close', () => this.connections.delete(socket));
    if (h2) this.http2.emit('connection', socket);
    else this.http1.emit('connection', socket);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const ex = new Http1Exchange(req, res, this.observe);
    const socket = req.socket;
    const conn = this.connections.get(socket);
    if (conn?.kind !== 'h1') {
      this.begin(ex, req);
      return;
    }
    conn.latest = req;
    conn.pipeline.add((done) => {
      res.once('close', () => {
        // Go reads nothing after a response that closes the connection.
        if (!res.shouldKeepAlive || this.closing) conn.pipeline.stop();
        if (this.closing) socket.destroy();
        done();
      });
      this.begin(ex, req);
    });
  }

  /** Starts one HTTP/1.1 exchange: Go's own checks, then the router. */
  private begin(ex: Http1Exchange, req: IncomingMessage): void {
    if (this.closing) ex.closeConnection();
    if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) {
      replyBadRequest(ex, 'missing required Host header');
      return;
    }
    this.onExchange(ex);
  }

  /**
   * A request Node's parser refused. Its answer waits for the requests before
   * it, and ends the connection: the parser cannot go on after an error.
   */
  private onClientError(
    err: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number },
    socket: Socket,
  ): void {
    this.logger.debug({ err }, 'unparsable HTTP/1.1 request');
    const conn = this.connections.get(socket);
    // An error inside a body leaves that request's handler waiting for the
    // rest of it: only closing the connection ends it.
    const inBody = conn?.kind === 'h1' && conn.latest !== null && !conn.latest.complete;
    if (conn?.kind !== 'h1' || inBody || err.code === 'ECONNRESET' || !socket.writable) {
      this.refuse(err, socket);
      return;
    }
    conn.pipeline.addLast(() => {
      const head =
        err.code === 'HPE_INVALID_METHOD' && err.rawPacket !== undefined
          ? recoverHead(err.rawPacket, err.bytesParsed ?? 0)
          : null;
      if (head === null) {
        this.refuse(err, socket);
        return;
      }
      const req = new http.IncomingMessage(socket);
      req.method = head.method;
      req.url = head.target;
      req.httpVersionMajor = 1;
      req.httpVersionMinor = head.versionMinor;
      req.httpVersion = `1.${head.versionMinor}`;
      req.headers = head.headers;
      req.complete = true;
      req.push(null);
      this.answerAndClose(req, socket);
    });
  }

  /** Go's bare answer to a request it cannot parse, and the end of the connection. */
  private refuse(err: NodeJS.ErrnoException, socket: Socket): void {
    if (socket.writable && err.code !== 'ECONNRESET') {
      socket.end(err.code === 'HPE_HEADER_OVERFLOW' ? HEADERS_TOO_LARGE : BAD_REQUEST);
    }
    socket.destroy();
  }

  /**
   * A CONNECT request: Node hands the socket over instead of a response, so
   * it is answered here (Go routes it like any other method), in its turn,
   * and the connection ends after it.
   */
  private onConnectMethod(req: IncomingMessage, socket: Socket): void {
    const conn = this.connections.get(socket);
    if (conn?.kind !== 'h1') {
      this.answerAndClose(req, socket);
      return;
    }
    conn.pipeline.addLast(() => this.answerAndClose(req, socket));
  }

  /** Routes a request the HTTP server did not give a response for, on a response of our own; the connection ends after it. */
  private answerAndClose(req: IncomingMessage, socket: Socket): void {
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.once('finish', () => {
      res.detachSocket(socket);
      socket.end(() => socket.destroy());
    });
    this.begin(new Http1Exchange(req, res, this.observe), req);
  }

  private onSession(session: Http2Session): void {
    this.sessions.add(session);
    session.on('error', (err) => this.logger.debug({ err }, 'HTTP/2 session error'));
    session.once('close', () => this.sessions.delete(session));
    if (this.closing) session.close();
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', (err) => this.logger.debug({ err }, 'HTTP/2 stream error'));
    this.onExchange(new Http2Exchange(stream, headers, this.observe));
  }

  /**
   * Stops taking requests: idle HTTP/1.1 connections close now, busy ones
   * after their response; HTTP/2 sessions get GOAWAY. Resolves when every
   * connection is gone, destroying the rest after `timeoutMs`.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    for (const session of this.sessions) session.close();
    for (const socket of this.sniffing) socket.destroy();
    for (const [socket, conn] of this.connections) {
      if (conn.kind !== 'h1') continue;
      conn.pipeline.stop();
      if (conn.pipeline.idle) socket.destroy();
    }
    if (this.sockets.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
        resolve();
      }, timeoutMs);
      const check = (): void => {
        if (this.sockets.size > 0) return;
        clearTimeout(timer);
        resolve();
      };
      for (const socket of this.sockets) socket.once('close', () => setImmediate(check));
    });
  }
}
