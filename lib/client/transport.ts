// One HTTP exchange with one endpoint. http:// speaks HTTP/1.1 (etcd has no
// h2c on its client port); https:// offers h2 and http/1.1 by ALPN and keeps
// whichever the member picked. Connections are kept alive for the life of the
// Transport (watch --forever makes many requests); close() releases them.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';

import { ClientFailure, canceled } from './errors.js';
import { type Endpoint, originOf } from './url.js';

export interface HttpRequest {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path and query, already escaped. */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface TlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface ExchangeOptions {
  /** 0: wait for headers as long as the signal allows. */
  readonly headerTimeoutMs: number;
  readonly signal?: AbortSignal;
}

export type Protocol = 'h2' | 'http/1.1';

/** A TLS file that cannot be read; worded as Go's os.Open error. */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';
}

function readTlsFile(path: string | undefined): Buffer | undefined {
  if (path === undefined || path === '') return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file or directory'
        : code === 'EACCES'
          ? 'permission denied'
          : String((e as Error).message);
    throw new TlsFileError(`open ${path}: ${why}`);
  }
}

function hostPort(ep: Endpoint): string {
  return isIP(ep.hostname) === 6 ? `[${ep.hostname}]:${ep.port}` : `${ep.hostname}:${ep.port}`;
}

const unknownAuthority = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

/** A refused server certificate, worded as Go's crypto/x509; null for other errors. */
function certificateFailure(ep: Endpoint, err: NodeJS.ErrnoException): ClientFailure | null {
  if (err.code === undefined) return null;
  if (unknownAuthority.has(err.code)) return new ClientFailure('tls', 'x509: certificate signed by unknown authority');
  if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new ClientFailure('tls', `x509: certificate is not valid for ${ep.hostname}`);
  if (err.code === 'CERT_HAS_EXPIRED' || err.code === 'CERT_NOT_YET_VALID') {
    return new ClientFailure('tls', 'x509: certificate has expired or is not yet valid');
  }
  if (err.code.startsWith('ERR_SSL_') || err.code.startsWith('CERT_'))
    return new ClientFailure('tls', `remote error: tls: ${err.message}`);
  return null;
}

/** Words a socket error as Go's net package does ("dial tcp 127.0.0.1:1: connect: connection refused"). */
function connectFailure(ep: Endpoint, err: NodeJS.ErrnoException, connected: boolean): ClientFailure {
  const cert = certificateFailure(ep, err);
  if (cert) return cert;
  const addr = hostPort(ep);
  switch (err.code) {
    case 'ECONNREFUSED':
      return new ClientFailure('dial', `dial tcp ${addr}: connect: connection refused`);
    case 'EHOSTUNREACH':
      return new ClientFailure('dial', `dial tcp ${addr}: connect: no route to host`);
    case 'ENETUNREACH':
      return new ClientFailure('dial', `dial tcp ${addr}: connect: network is unreachable`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ClientFailure('dial', `dial tcp: lookup ${ep.hostname}: no such host`);
    case 'ETIMEDOUT':
      return new ClientFailure('dial', `dial tcp ${addr}: i/o timeout`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new ClientFailure(connected ? 'read' : 'dial', `read tcp ${addr}: read: connection reset by peer`);
    default:
      return new ClientFailure(connected ? 'read' : 'dial', err.message);
  }
}

function abortFailure(signal: AbortSignal | undefined): ClientFailure {
  const reason: unknown = signal?.reason;
  return reason instanceof ClientFailure ? reason : canceled();
}

export class Transport {
  private readonly tlsOptions: tls.ConnectionOptions;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent: https.Agent;
  private readonly protocols = new Map<string, Promise<Protocol>>();
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();

  /** @throws TlsFileError when a TLS file cannot be read. */
  constructor(
    files: TlsFiles,
    private readonly dialTimeoutMs: number,
  ) {
    const ca = readTlsFile(files.caFile);
    const cert = readTlsFile(files.certFile);
    const key = readTlsFile(files.keyFile);
    this.tlsOptions = { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
    this.httpsAgent = new https.Agent({ keepAlive: true, ...this.tlsOptions, ALPNProtocols: ['http/1.1'] });
  }

  /** The protocol agreed with an https endpoint, once known. */
  async protocolOf(ep: Endpoint): Promise<Protocol> {
    if (ep.scheme !== 'https') return 'http/1.1';
    return this.negotiate(ep, {});
  }

  async exchange(ep: Endpoint, req: HttpRequest, opts: ExchangeOptions): Promise<HttpResponse> {
    if (opts.signal?.aborted) throw abortFailure(opts.signal);
    if (ep.scheme === 'http') return this.exchangeH1(ep, req, opts, http.request, this.httpAgent);
    if (ep.scheme !== 'https') throw new ClientFailure('dial', `unsupported protocol scheme "${ep.scheme}"`);
    const protocol = await this.negotiate(ep, opts);
    return protocol === 'h2'
      ? this.exchangeH2(ep, req, opts)
      : this.exchangeH1(ep, req, opts, https.request, this.httpsAgent);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
  }

  private negotiate(ep: Endpoint, opts: { signal?: AbortSignal }): Promise<Protocol> {
    const origin = originOf(ep);
    let p = this.protocols.get(origin);
    if (!p) {
      p = this.connectTls(ep, opts.signal);
      this.protocols.set(origin, p);
      p.catch(() => this.protocols.delete(origin));
    }
    return p;
  }

  /** Opens a TLS connection offering h2 and http/1.1; an h2 answer becomes the endpoint's session. */
  private connectTls(ep: Endpoint, signal: AbortSignal | undefined): Promise<Protocol> {
    return new Promise<Protocol>((resolve, reject) => {
      const socket = tls.connect({
        ...this.tlsOptions,
        host: ep.hostname,
        port: ep.port,
        ...(isIP(ep.hostname) === 0 && { servername: ep.hostname }),
        ALPNProtocols: ['h2', 'http/1.1'],
      });
      const fail = (err: ClientFailure): void => {
        cleanup();
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new ClientFailure('dial', `dial tcp ${hostPort(ep)}: i/o timeout`)),
        this.dialTimeoutMs,
      );
      const onAbort = (): void => fail(abortFailure(signal));
      const onError = (err: NodeJS.ErrnoException): void => fail(connectFailure(ep, err, false));
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.off('error', onError);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('error', onError);
      socket.once('secureConnect', () => {
        cleanup();
        if (socket.alpnProtocol === 'h2') {
          this.adoptSession(ep, socket);
          resolve('h2');
        } else {
          socket.destroy();
          resolve('http/1.1');
        }
      });
    });
  }

  private adoptSession(ep: Endpoint, socket: tls.TLSSocket): http2.ClientHttp2Session {
    const origin = originOf(ep);
    const session = http2.connect(origin, { createConnection: () => socket });
    session.on('error', () => undefined);
    session.on('close', () => {
      if (this.sessions.get(origin) === session) this.sessions.delete(origin);
    });
    this.sessions.set(origin, session);
    return session;
  }

  private async sessionFor(ep: Endpoint, opts: ExchangeOptions): Promise<http2.ClientHttp2Session> {
    const existing = this.sessions.get(originOf(ep));
    if (existing && !existing.closed && !existing.destroyed) return existing;
    this.protocols.delete(originOf(ep));
    await this.negotiate(ep, opts);
    const session = this.sessions.get(originOf(ep));
    if (!session) throw new ClientFailure('dial', `dial tcp ${hostPort(ep)}: http2 session refused`);
    return session;
  }

  private exchangeH1(
    ep: Endpoint,
    req: HttpRequest,
    opts: ExchangeOptions,
    request: typeof http.request,
    agent: http.Agent,
  ): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let connected = false;
      const headers: Record<string, string | number> = { ...req.headers };
      if (req.body !== null) headers['content-length'] = Buffer.byteLength(req.body);
      const r = request({
        agent,
        host: ep.hostname,
        port: ep.port,
        method: req.method,
        path: req.target,
        headers,
        ...(ep.scheme === 'https' && isIP(ep.hostname) === 0 && { servername: ep.hostname }),
      });
      const finish = (err: ClientFailure | null, res?: HttpResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(headerTimer);
        clearTimeout(dialTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) {
          r.destroy();
          reject(err);
        } else resolve(res!);
      };
      const headerTimer =
        opts.headerTimeoutMs > 0
          ? setTimeout(
              () => finish(new ClientFailure('header-timeout', `client: endpoint ${ep.text} exceeded header timeout`)),
              opts.headerTimeoutMs,
            )
          : undefined;
      const dialTimer = setTimeout(() => {
        if (!connected) finish(new ClientFailure('dial', `dial tcp ${hostPort(ep)}: i/o timeout`));
      }, this.dialTimeoutMs);
      const onAbort = (): void => finish(abortFailure(opts.signal));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      r.on('socket', (s) => {
        const ready = (): void => {
          connected = true;
          clearTimeout(dialTimer);
        };
        if (s.connecting) s.once(ep.scheme === 'https' ? 'secureConnect' : 'connect', ready);
        else ready();
      });
      r.on('error', (err: NodeJS.ErrnoException) => finish(connectFailure(ep, err, connected)));
      r.on('response', (res) => {
        clearTimeout(headerTimer);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err: NodeJS.ErrnoException) => finish(connectFailure(ep, err, true)));
        res.on('aborted', () => finish(new ClientFailure('read', 'unexpected EOF')));
        res.on('end', () => {
          const h: Record<string, string | undefined> = {};
          for (const [k, v] of Object.entries(res.headers)) h[k] = Array.isArray(v) ? v[0] : v;
          finish(null, { status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks) });
        });
      });
      r.end(req.body ?? undefined);
    });
  }

  private async exchangeH2(ep: Endpoint, req: HttpRequest, opts: ExchangeOptions): Promise<HttpResponse> {
    const session = await this.sessionFor(ep, opts);
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const stream = session.request({ ':method': req.method, ':path': req.target, ...req.headers });
      const finish = (err: ClientFailure | null, res?: HttpResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(headerTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          reject(err);
        } else resolve(res!);
      };
      const headerTimer =
        opts.headerTimeoutMs > 0
          ? setTimeout(
              () => finish(new ClientFailure('header-timeout', `client: endpoint ${ep.text} exceeded header timeout`)),
              opts.headerTimeoutMs,
            )
          : undefined;
      const onAbort = (): void => finish(abortFailure(opts.signal));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      let status = 0;
      const headers: Record<string, string | undefined> = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        clearTimeout(headerTimer);
        status = Number(h[':status']);
        for (const [k, v] of Object.entries(h))
          if (!k.startsWith(':')) headers[k] = Array.isArray(v) ? v[0] : (v as string | undefined);
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err: NodeJS.ErrnoException) => finish(new ClientFailure('read', err.message)));
      stream.on('end', () => finish(null, { status, headers, body: Buffer.concat(chunks) }));
      stream.on('close', () => {
        if (!settled) finish(new ClientFailure('read', 'http2: stream closed before its response'));
      });
      stream.end(req.body ?? undefined);
    });
  }
}
