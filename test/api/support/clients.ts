// HTTP clients for the API tests: HTTP/1.1 (node:http), h2c with prior
// knowledge (node:http2), and a raw socket for byte-exact checks.

import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import pino from 'pino';
import { ClientApi, type ClientApiOptions } from '../../../lib/api/index.js';
import { StoreBackedTestService } from './store-service.js';

export interface Reply {
  status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Header names in the order they arrived (HTTP/1.1 only). */
  order: string[];
  body: string;
}

export interface RequestSpec {
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export type Protocol = 'http1' | 'h2c';

export interface Client {
  readonly protocol: Protocol;
  request(spec: RequestSpec): Promise<Reply>;
  /** A request whose response headers are delivered before its body is complete. */
  open(spec: RequestSpec): Promise<OpenResponse>;
  close(): void;
}

export interface OpenResponse {
  status: number;
  headers: Record<string, string>;
  /** Resolves with the next chunk of body text, or null at the end. */
  next(): Promise<string | null>;
  /** Resolves with the rest of the body once the response ends. */
  rest(): Promise<string>;
  /** Resolves once the response is over: true if the server ended it properly, false if the connection or stream broke. */
  finished(): Promise<boolean>;
  abort(): void;
}

const FORM = 'application/x-www-form-urlencoded';

function withFormType(spec: RequestSpec): Record<string, string> {
  const headers = { ...(spec.headers ?? {}) };
  if (spec.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = FORM;
  return headers;
}

/** Collects body chunks so that a test can wait for them one at a time. */
class ChunkQueue {
  private readonly chunks: string[] = [];
  private ended = false;
  private waiter: (() => void) | null = null;
  private cleanly = false;
  private readonly over: Promise<boolean>;
  private resolveOver!: (clean: boolean) => void;

  constructor() {
    this.over = new Promise((r) => (this.resolveOver = r));
  }

  /** The server ended the response properly. */
  endCleanly(): void {
    this.cleanly = true;
    this.end();
  }

  finished(): Promise<boolean> {
    return this.over;
  }

  push(chunk: string): void {
    this.chunks.push(chunk);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.resolveOver(this.cleanly);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async next(): Promise<string | null> {
    while (this.chunks.length === 0 && !this.ended) await new Promise<void>((r) => (this.waiter = r));
    return this.chunks.length > 0 ? this.chunks.shift()! : null;
  }

  async rest(): Promise<string> {
    let out = '';
    for (let c = await this.next(); c !== null; c = await this.next()) out += c;
    return out;
  }
}

export class Http1Client implements Client {
  readonly protocol = 'http1' as const;
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly url: URL;

  constructor(base: string) {
    this.url = new URL(base);
  }

  private start(spec: RequestSpec): Promise<{ res: http.IncomingMessage; req: http.ClientRequest }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.url.hostname, port: this.url.port, method: spec.method ?? 'GET', path: spec.path, headers: withFormType(spec), agent: this.agent },
        (res) => resolve({ res, req }),
      );
      req.on('error', reject);
      req.end(spec.body);
    });
  }

  async request(spec: RequestSpec): Promise<Reply> {
    const { res } = await this.start(spec);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return { status: res.statusCode!, headers: flatHeaders(res.headers), order: rawOrder(res.rawHeaders), body: Buffer.concat(chunks).toString('utf8') };
  }

  async open(spec: RequestSpec): Promise<OpenResponse> {
    const { res, req } = await this.start(spec);
    const queue = new ChunkQueue();
    res.setEncoding('utf8');
    res.on('data', (c: string) => queue.push(c));
    res.on('end', () => queue.endCleanly());
    res.on('error', () => queue.end());
    res.on('close', () => queue.end());
    return {
      status: res.statusCode!,
      headers: flatHeaders(res.headers),
      next: () => queue.next(),
      rest: () => queue.rest(),
      finished: () => queue.finished(),
      abort: () => req.destroy(),
    };
  }

  close(): void {
    this.agent.destroy();
  }
}

export class H2cClient implements Client {
  readonly protocol = 'h2c' as const;
  readonly session: http2.ClientHttp2Session;

  constructor(base: string) {
    this.session = http2.connect(base);
    this.session.on('error', () => undefined);
  }

  private start(spec: RequestSpec): Promise<{ stream: http2.ClientHttp2Stream; headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader }> {
    return new Promise((resolve, reject) => {
      const stream = this.session.request({ ':method': spec.method ?? 'GET', ':path': spec.path, ...lower(withFormType(spec)) }, { endStream: spec.body === undefined });
      stream.on('response', (headers) => resolve({ stream, headers }));
      stream.on('error', reject);
      if (spec.body !== undefined) stream.end(spec.body);
    });
  }

  async request(spec: RequestSpec): Promise<Reply> {
    const { stream, headers } = await this.start(spec);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return { status: Number(headers[':status']), headers: flatHeaders(headers), order: [], body: Buffer.concat(chunks).toString('utf8') };
  }

  async open(spec: RequestSpec): Promise<OpenResponse> {
    const { stream, headers } = await this.start(spec);
    const queue = new ChunkQueue();
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => queue.push(c));
    stream.on('end', () => queue.endCleanly());
    stream.on('close', () => queue.end());
    return {
      status: Number(headers[':status']),
      headers: flatHeaders(headers),
      next: () => queue.next(),
      rest: () => queue.rest(),
      finished: () => queue.finished(),
      abort: () => stream.close(http2.constants.NGHTTP2_CANCEL),
    };
  }

  close(): void {
    this.session.destroy();
  }
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function rawOrder(raw: string[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < raw.length; i += 2) names.push(raw[i]!);
  return names;
}

/** Sends raw bytes on a new connection and collects everything until the server closes or `idleMs` passes. */
export function rawExchange(port: number, bytes: string, idleMs = 300): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.from(bytes, 'latin1')));
    let text = '';
    let timer = setTimeout(done, idleMs);
    function done(closed = false): void {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    }
    socket.on('data', (d) => {
      text += d.toString('latin1');
      clearTimeout(timer);
      timer = setTimeout(done, idleMs);
    });
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
  });
}

export interface Harness {
  api: ClientApi;
  service: StoreBackedTestService;
  url: string;
  port: number;
  client(protocol: Protocol): Client;
  close(): Promise<void>;
}

/** A ClientApi over the test adapter on 127.0.0.1:0, plus clients that are closed with it. */
export async function startApi(options: Partial<ClientApiOptions> & { historySize?: number } = {}): Promise<Harness> {
  const service = new StoreBackedTestService(options.historySize);
  const api = new ClientApi({
    keys: service,
    cluster: service,
    logger: pino({ level: 'silent' }),
    version: { etcdserver: '3.4.23', etcdcluster: '3.4.0' },
    ...options,
  });
  const url = await api.listen('http://127.0.0.1:0');
  const clients: Client[] = [];
  return {
    api,
    service,
    url,
    port: Number(new URL(url).port),
    client(protocol) {
      const c = protocol === 'http1' ? new Http1Client(url) : new H2cClient(url);
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      await api.close();
    },
  };
}

/** Waits (bounded) until `condition` holds; false if it never did. */
export async function eventually(condition: () => boolean, attempts = 200): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return condition();
}
