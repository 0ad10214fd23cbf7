// A one-off GET to a member's peer port (h2c or h2 over TLS), for a joining
// member that asks an existing one for /members or /version.

import type http2 from 'node:http2';
import type tls from 'node:tls';
import { dialSession, hangUp, type Dialed } from './dial.js';
import { HEADER_CLUSTER } from './protocol.js';

export class PeerRequestError extends Error {
  constructor(
    message: string,
    /** HTTP status of the answer, 0 when there was none. */
    readonly status: number,
  ) {
    super(message);
    this.name = 'PeerRequestError';
  }
}

export interface PeerRequestOptions {
  readonly clientTls?: tls.ConnectionOptions | null;
  /** Sent as x-kvd-cluster-id: a member of another cluster answers 412. */
  readonly clusterId?: string;
  readonly timeoutMs?: number;
}

const BODY_LIMIT = 16 << 20;

/** GETs path from the peer at baseUrl and parses the JSON body of a 200 answer. */
export function fetchPeerJSON(baseUrl: string, path: string, opts: PeerRequestOptions = {}): Promise<unknown> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    let dialed: Dialed;
    try {
      dialed = dialSession(baseUrl, {}, baseUrl.startsWith('https:') ? (opts.clientTls ?? null) : null);
    } catch (err) {
      reject(new PeerRequestError(`cannot dial ${baseUrl}: ${(err as Error).message}`, 0));
      return;
    }
    const session = dialed.session;
    let settled = false;
    const settle = (err: PeerRequestError | null, value?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // The socket too: after a timeout the connect may still be in flight.
      hangUp(dialed);
      if (err !== null) reject(err);
      else resolve(value);
    };
    dialed.socket.on('error', () => {
      // The session reports it.
    });
    const timer = setTimeout(
      () => settle(new PeerRequestError(`${baseUrl}${path}: no answer in ${timeoutMs} ms`, 0)),
      timeoutMs,
    );
    session.on('error', (err) => settle(new PeerRequestError(`${baseUrl}${path}: ${err.message}`, 0)));
    const headers: http2.OutgoingHttpHeaders = { ':method': 'GET', ':path': path };
    if (opts.clusterId !== undefined) headers[HEADER_CLUSTER] = opts.clusterId;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: true });
    } catch (err) {
      settle(new PeerRequestError(`${baseUrl}${path}: ${(err as Error).message}`, 0));
      return;
    }
    let status = 0;
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('response', (h) => {
      status = Number(h[':status']);
    });
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT)
        settle(new PeerRequestError(`${baseUrl}${path}: answer larger than ${BODY_LIMIT} bytes`, status));
      else chunks.push(chunk);
    });
    stream.on('error', (err) => settle(new PeerRequestError(`${baseUrl}${path}: ${err.message}`, status)));
    stream.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (status !== 200) {
        settle(new PeerRequestError(`${baseUrl}${path}: status ${status}: ${body.slice(0, 512)}`, status));
        return;
      }
      try {
        settle(null, JSON.parse(body));
      } catch {
        settle(new PeerRequestError(`${baseUrl}${path}: answer is not JSON`, status));
      }
    });
    stream.on('close', () =>
      settle(new PeerRequestError(`${baseUrl}${path}: stream closed without an answer`, status)),
    );
  });
}
