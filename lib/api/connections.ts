// Accepting connections: telling HTTP/1.1 from h2c on a plaintext port by the
// connection preface, or HTTP/2 from HTTP/1.1 by ALPN under TLS; handing each
// connection to the matching node:http / node:http2 server; and closing them
// all gracefully (idle ones at once, busy ones after their response, HTTP/2
// sessions with GOAWAY) when the API stops.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { Http1Exchange, Http2Exchange, type Exchange, type ResponseObserver } from './exchange.js';
import { replyBadRequest } from './respond.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** What Go answers (and then closes) when it cannot parse a request. */
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request';
const HEADERS_TOO_LARGE =
  'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large';

/** A connection handed to one of the servers; HTTP/1.1 ones count their open responses. */
type Connection = { readonly kind: 'h2' } | { readonly kind: 'h1'; active: number };

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
    // Go keeps idle connections open and requires Host itself (see onRequest).
    this.http1 = http.createServer({ keepAliveTimeout: 0, requireHostHeader: false }, (req, res) => this.onRequest(req, res));
    this.http1.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
    this.http2 = http2.createServer();
    this.http2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => this.onStream(stream, headers));
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
      while ((chunk = socket.read() as Buffer | null) !== null) seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
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
    this.connections.set(socket, h2 ? { kind: 'h2' } : { kind: 'h1', active: 0 });
    socket.once('close', () => this.connections.delete(socket));
    if (h2) this.http2.emit('connection', socket);
    else this.http1.emit('connection', socket);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const ex = new Http1Exchange(req, res, this.observe);
    const socket = req.socket;
    const conn = this.connections.get(socket);
    if (conn?.kind === 'h1') {
      conn.active++;
      res.once('close', () => {
        conn.active--;
        if (this.closing && conn.active === 0) socket.destroy();
      });
    }
    if (this.closing) ex.closeConnection();
    if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) {
      replyBadRequest(ex, 'missing required Host header');
      return;
    }
    this.onExchange(ex);
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    this.logger.debug({ err }, 'unparsable HTTP/1.1 request');
    if (socket.writable && err.code !== 'ECONNRESET') {
      socket.end(err.code === 'HPE_HEADER_OVERFLOW' ? HEADERS_TOO_LARGE : BAD_REQUEST);
    }
    socket.destroy();
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
      if (conn.kind === 'h1' && conn.active === 0) socket.destroy();
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
