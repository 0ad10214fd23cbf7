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
  if (spec.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['Content-Type'] = FORM;
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
        {
          host: this.url.hostname,
          port: this.url.port,
          method: spec.method ?? 'GET',
          path: spec.path,
          headers: withFormType(spec),
          agent: this.agent,
        },
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
    return {
      status: res.statusCode!,
      headers: flatHeaders(res.headers),
      order: rawOrder(res.rawHeaders),
      body: Buffer.concat(chunks).toString('utf8'),
    };
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

  private start(
    spec: RequestSpec,
  ): Promise<{ stream: http2.ClientHttp2Stream; headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader }> {
    return new Promise((resolve, reject) => {
      const stream = this.session.request(
        { ':method': spec.method ?? 'GET', ':path': spec.path, ...lower(withFormType(spec)) },
        { endStream: spec.body === undefined },
      );
      stream.on('response', (headers) => resolve({ stream, headers }));
      stream.on('error', reject);
      if (spec.body !== undefined) stream.end(spec.body);
    });
  }

  async request(spec: RequestSpec): Promise<Reply> {
    const { stream, headers } = await this.start(spec);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return {
      status: Number(headers[':status']),
      headers: flatHeaders(headers),
      order: [],
      body: Buffer.concat(chunks).toString('utf8'),
    };
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

export interface RawResponse {
  status: number;
  /** Lower-case header names, last value wins. */
  headers: Record<string, string>;
  body: string;
}

/** Splits complete HTTP/1.1 responses (Content-Length bodies, or a body that runs to the close) off the front of `text`. */
function takeResponses(text: string, closed: boolean): { responses: RawResponse[]; rest: string } {
  const responses: RawResponse[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = headers['content-length'];
    let bodyEnd: number;
    if (length !== undefined) bodyEnd = end + 4 + Number(length);
    else if (closed) bodyEnd = rest.length;
    else break;
    if (bodyEnd > rest.length) break;
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: rest.slice(end + 4, bodyEnd) });
    rest = rest.slice(bodyEnd);
  }
  return { responses, rest };
}

/**
 * Writes `bytes` at once on a new connection (pipelined requests) and reads
 * until `count` responses arrived or the server closed; gives up after
 * `limitMs` with what it has, so a server that never answers fails the test.
 */
export function pipelined(
  port: number,
  bytes: string | Buffer,
  count: number,
  limitMs = 10_000,
): Promise<{ responses: RawResponse[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes),
    );
    let text = '';
    const responses: RawResponse[] = [];
    let done = false;
    const timer = setTimeout(() => finish(false), limitMs);
    function finish(closed: boolean): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      responses.push(...takeResponses(text, closed).responses);
      text = '';
      resolve({ responses, closed });
    }
    socket.on('data', (d) => {
      text += d.toString('latin1');
      const taken = takeResponses(text, false);
      responses.push(...taken.responses);
      text = taken.rest;
      if (responses.length >= count) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}

/** An HTTP/1.1 request as bytes; a string body is sent as a form. */
export function rawRequest(
  method: string,
  target: string,
  body?: string,
  headers: readonly string[] = ['Host: x'],
): string {
  const head = `${method} ${target} HTTP/1.1\r\n${headers.map((h) => h + '\r\n').join('')}`;
  if (body === undefined) return head + '\r\n';
  return `${head}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** An HPACK integer with an n-bit prefix (RFC 7541 5.1). */
function hpackInt(n: number, prefixBits: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (n < max) return [n];
  const out = [max];
  for (n -= max; n >= 128; n = Math.floor(n / 128)) out.push((n % 128) + 128);
  out.push(n);
  return out;
}

/** A header field as an HPACK literal without indexing and without Huffman coding: its encoded size is plain to see. */
function hpackLiteral(name: string, value: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x00, ...hpackInt(name.length, 7)]),
    Buffer.from(name, 'latin1'),
    Buffer.from(hpackInt(value.length, 7)),
    Buffer.from(value, 'latin1'),
  ]);
}

function h2Frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/**
 * Sends one h2c GET with `headers` as its header block, cut into frames of
 * `frameBytes` (HEADERS, then CONTINUATION), as a client that honours the
 * server's SETTINGS_MAX_FRAME_SIZE does (Go's does; nghttp2's always cuts at
 * 16 KiB). Resolves with what the server did with the stream: 'response' (it
 * sent response headers), 'reset <code>', 'goaway <code>', or 'closed'.
 */
export function rawH2Get(
  port: number,
  path: string,
  headers: Record<string, string>,
  frameBytes: number,
): Promise<string> {
  const block = Buffer.concat([
    hpackLiteral(':method', 'GET'),
    hpackLiteral(':scheme', 'http'),
    hpackLiteral(':path', path),
    hpackLiteral(':authority', 'x'),
    ...Object.entries(headers).map(([name, value]) => hpackLiteral(name, value)),
  ]);
  const frames: Buffer[] = [];
  for (let offset = 0; offset < block.length; offset += frameBytes) {
    const first = offset === 0;
    const last = offset + frameBytes >= block.length;
    frames.push(
      h2Frame(first ? 0x1 : 0x9, (last ? 0x4 : 0) | (first ? 0x1 : 0), 1, block.subarray(offset, offset + frameBytes)),
    );
  }
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), h2Frame(0x4, 0, 0, Buffer.alloc(0))]),
      );
    });
    const finish = (outcome: string): void => {
      resolve(outcome);
      socket.destroy();
    };
    let pending = Buffer.alloc(0);
    let sent = false;
    socket.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < 9 + length) break;
        const [type, flags] = [pending[3]!, pending[4]!];
        const stream = pending.readUInt32BE(5) & 0x7fffffff;
        const payload = pending.subarray(9, 9 + length);
        pending = pending.subarray(9 + length);
        // The request goes out once the server's settings (its frame size) are known and acknowledged.
        if (type === 0x4 && (flags & 0x1) === 0 && !sent) {
          sent = true;
          socket.write(Buffer.concat([h2Frame(0x4, 0x1, 0, Buffer.alloc(0)), ...frames]));
        }
        if (type === 0x1 && stream === 1) finish('response');
        if (type === 0x3 && stream === 1) finish(`reset ${payload.readUInt32BE(0)}`);
        if (type === 0x7) finish(`goaway ${payload.readUInt32BE(4)}`);
      }
    });
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('closed'));
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
