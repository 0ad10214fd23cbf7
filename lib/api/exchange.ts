// One request/response pair, whatever the protocol: a thin adapter over
// node:http's request/response and over a raw node:http2 stream (no compat
// layer on the hot path). Handlers only ever see an Exchange.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { constants as h2 } from 'node:http2';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';

export interface Exchange {
  readonly method: string;
  /** The raw request target (origin-form path and query, or absolute-form). */
  readonly target: string;
  /** A request header by lower-case name (first value). */
  header(name: string): string | undefined;
  /** The request body, or 'too-large' once it exceeds `limit` bytes. Rejects when the client goes away. */
  readBody(limit: number): Promise<Buffer | 'too-large'>;
  /**
   * A complete response. `headers` is a flat [name, value, ...] list in the
   * order to send; a null body sends no body and no length (HEAD never sends one).
   */
  send(status: number, headers: readonly string[], body: string | Buffer | null): void;
  /** Sends status and headers at once and keeps the response open for write(). */
  startStream(status: number, headers: readonly string[]): void;
  write(chunk: string): void;
  end(): void;
  /** Response bytes queued in memory, not yet taken by the socket. */
  readonly buffered: number;
  /** Whether the response is over (sent, or the client went away). */
  readonly done: boolean;
  /** Runs once if the client goes away before the response ends. */
  onAbort(cb: () => void): void;
  /** Close the connection after this response (HTTP/1.1; HTTP/2 closes only the stream). */
  closeConnection(): void;
  /**
   * A last response as Go writes it for a request it cannot parse: exactly
   * these headers (no Date, no length; the body ends with the connection) and
   * the reason phrase given. HTTP/2 gets an ordinary response.
   */
  sendAndClose(status: number, reason: string, headers: readonly string[], body: string): void;
  /** The client's address (for logs). */
  readonly remoteAddress: string;
  /** The Common Name of the client's verified TLS certificate; null without TLS or a verified certificate. */
  clientCertName(): string | null;
}

function certName(socket: Socket | undefined | null): string | null {
  const tlsSocket = socket as TLSSocket | undefined | null;
  if (!tlsSocket || typeof tlsSocket.getPeerCertificate !== 'function' || tlsSocket.authorized !== true) return null;
  const cn = tlsSocket.getPeerCertificate().subject?.CN;
  // Several CNs come as an array; like Go's Subject.CommonName, take the last.
  if (Array.isArray(cn)) return (cn[cn.length - 1] as string | undefined) ?? null;
  return typeof cn === 'string' ? cn : null;
}

function readLimited(body: Readable, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Buffer | 'too-large' | Error): void => {
      if (settled) return;
      settled = true;
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    body.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) settle('too-large');
      else chunks.push(chunk);
    });
    body.once('end', () => settle(Buffer.concat(chunks, size)));
    body.once('error', (err) => settle(err));
    // 'close' follows every request, read or not: the Error (and its stack) only when it ended the body.
    body.once('close', () => {
      if (!settled) settle(new Error('request body closed before its end'));
    });
  });
}

/** Told the method and status of each response as it starts (for request metrics). */
export type ResponseObserver = (method: string, status: number) => void;

export class Http1Exchange implements Exchange {
  readonly method: string;
  readonly target: string;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly observe: ResponseObserver | null = null,
  ) {
    this.method = req.method ?? 'GET';
    this.target = req.url ?? '/';
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  get remoteAddress(): string {
    return this.req.socket.remoteAddress ?? '';
  }

  clientCertName(): string | null {
    return certName(this.req.socket);
  }

  readBody(limit: number): Promise<Buffer | 'too-large'> {
    return readLimited(this.req, limit);
  }

  private prepare(): void {
    // Go does not send "Connection: keep-alive" (nor Keep-Alive); Node would.
    if (this.res.shouldKeepAlive) this.res.removeHeader('connection');
  }

  send(status: number, headers: readonly string[], body: string | Buffer | null): void {
    if (this.res.headersSent || this.res.destroyed) return;
    this.observe?.(this.method, status);
    this.prepare();
    this.res.writeHead(status, headers as string[]);
    this.res.end(body ?? undefined);
  }

  startStream(status: number, headers: readonly string[]): void {
    if (this.res.headersSent || this.res.destroyed) return;
    this.observe?.(this.method, status);
    this.prepare();
    this.res.writeHead(status, headers as string[]);
    this.res.flushHeaders();
  }

  write(chunk: string): void {
    if (!this.done) this.res.write(chunk);
  }

  end(): void {
    if (!this.done) this.res.end();
  }

  get buffered(): number {
    return this.res.writableLength;
  }

  get done(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  onAbort(cb: () => void): void {
    this.res.once('close', () => {
      if (!this.res.writableFinished) cb();
    });
  }

  closeConnection(): void {
    this.res.shouldKeepAlive = false;
  }

  sendAndClose(status: number, reason: string, headers: readonly string[], body: string): void {
    if (this.res.headersSent || this.res.destroyed) return;
    this.observe?.(this.method, status);
    this.res.shouldKeepAlive = false;
    this.res.sendDate = false;
    this.res.removeHeader('content-length');
    this.res.removeHeader('transfer-encoding');
    this.res.writeHead(status, reason, headers as string[]);
    this.res.end(body);
  }
}

// Header names as HTTP/2 wants them (lower case), computed once per name.
const lowerNames = new Map<string, string>();
function h2Name(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerNames.size < 256) lowerNames.set(name, lower);
  }
  return lower;
}

function h2Headers(status: number, headers: readonly string[]): Record<string, string | number> {
  const out: Record<string, string | number> = { [h2.HTTP2_HEADER_STATUS]: status };
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    // Connection-specific headers are not allowed in HTTP/2.
    if (name === 'Connection') continue;
    out[h2Name(name)] = headers[i + 1]!;
  }
  return out;
}

export class Http2Exchange implements Exchange {
  readonly method: string;
  readonly target: string;
  private ended = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly observe: ResponseObserver | null = null,
  ) {
    this.method = (headers[h2.HTTP2_HEADER_METHOD] as string | undefined) ?? 'GET';
    this.target = (headers[h2.HTTP2_HEADER_PATH] as string | undefined) ?? '/';
  }

  header(name: string): string | undefined {
    const v = this.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  get remoteAddress(): string {
    return this.stream.session?.socket?.remoteAddress ?? '';
  }

  clientCertName(): string | null {
    return certName(this.stream.session?.socket);
  }

  readBody(limit: number): Promise<Buffer | 'too-large'> {
    return readLimited(this.stream, limit);
  }

  private get usable(): boolean {
    return !this.stream.destroyed && !this.stream.closed && !this.stream.headersSent;
  }

  send(status: number, headers: readonly string[], body: string | Buffer | null): void {
    if (!this.usable) return;
    this.observe?.(this.method, status);
    this.ended = true;
    const noBody = body === null || this.method === 'HEAD';
    this.stream.respond(h2Headers(status, headers), { endStream: noBody });
    if (!noBody) this.stream.end(body);
  }

  startStream(status: number, headers: readonly string[]): void {
    if (!this.usable) return;
    this.observe?.(this.method, status);
    this.stream.respond(h2Headers(status, headers));
  }

  write(chunk: string): void {
    if (!this.done) this.stream.write(chunk);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.stream.destroyed && !this.stream.closed) this.stream.end();
  }

  get buffered(): number {
    return this.stream.writableLength;
  }

  get done(): boolean {
    return this.ended || this.stream.destroyed || this.stream.closed;
  }

  onAbort(cb: () => void): void {
    this.stream.once('close', () => {
      if (!this.ended) cb();
    });
  }

  closeConnection(): void {
    // A stream ends on its own; the HTTP/2 connection stays for other streams.
  }

  sendAndClose(status: number, _reason: string, headers: readonly string[], body: string): void {
    this.send(status, [...headers, 'Content-Length', String(Buffer.byteLength(body))], body);
  }
}
