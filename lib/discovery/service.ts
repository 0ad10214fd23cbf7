// The v2 keys API under a discovery URL (an etcd or kvd keyspace, or a
// discovery.etcd.io-style service that forwards to one), over HTTP/1.1, through
// an HTTP proxy when one is configured, with the client TLS settings for https.

import http from 'node:http';
import https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { DiscoveryError } from './errors.js';

export interface KeysNode {
  readonly key: string;
  readonly value?: string;
  readonly dir?: boolean;
  readonly createdIndex: number;
  readonly modifiedIndex: number;
  readonly nodes?: readonly KeysNode[];
}

/** A keys API answer: a node, or etcd's error body. `index` is X-Etcd-Index. */
export type KeysAnswer =
  | { readonly ok: true; readonly status: number; readonly index: number; readonly node: KeysNode }
  | {
      readonly ok: false;
      readonly status: number;
      readonly index: number;
      readonly errorCode: number;
      readonly message: string;
    };

/** No answer, or a server error: the service may come back, so the caller retries. */
export class ServiceUnavailable extends Error {
  override readonly name = 'ServiceUnavailable';

  constructor(
    message: string,
    /** The request ran out of time (for a watch: nothing happened meanwhile). */
    readonly timedOut = false,
  ) {
    super(message);
  }
}

export interface ServiceOptions {
  /** The discovery URL: scheme, host and the token's path, no trailing slash. */
  readonly url: string;
  /** An HTTP(S) proxy to reach the service through. */
  readonly proxy?: string;
  /** TLS for https:// URLs (trusted CA, client certificate). */
  readonly tls?: ConnectionOptions | null;
}

export const REQUEST_TIMEOUT_MS = 5000;
const BODY_LIMIT = 1 << 20;

const CERTIFICATE_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

export class DiscoveryService {
  readonly url: string;
  private readonly agent: http.Agent;
  private readonly tls: ConnectionOptions;
  private readonly https: boolean;

  constructor(private readonly opts: ServiceOptions) {
    this.url = opts.url;
    this.https = opts.url.startsWith('https:');
    this.tls = this.https ? (opts.tls ?? {}) : {};
    if (opts.proxy === undefined) {
      this.agent = this.https ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    } else {
      this.agent = this.https
        ? new HttpsProxyAgent(opts.proxy, { keepAlive: true })
        : new HttpProxyAgent(opts.proxy, { keepAlive: true });
    }
  }

  /** GET <url><path>?<query>. */
  get(path: string, query: Readonly<Record<string, string>> = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<KeysAnswer> {
    return this.exchange('GET', path, query, null, timeoutMs);
  }

  /** PUT <url><path>?prevExist=false: creates the key, or answers etcd's "Key already exists". */
  create(path: string, value: string): Promise<KeysAnswer> {
    return this.exchange(
      'PUT',
      path,
      { prevExist: 'false' },
      new URLSearchParams({ value }).toString(),
      REQUEST_TIMEOUT_MS,
    );
  }

  close(): void {
    this.agent.destroy();
  }

  private exchange(
    method: 'GET' | 'PUT',
    path: string,
    query: Readonly<Record<string, string>>,
    body: string | null,
    timeoutMs: number,
  ): Promise<KeysAnswer> {
    const qs = new URLSearchParams(query).toString();
    const target = `${this.url}${path}${qs === '' ? '' : `?${qs}`}`;
    const headers: http.OutgoingHttpHeaders =
      body === null ? {} : { 'content-type': 'application/x-www-form-urlencoded' };
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | null, answer?: KeysAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(answer!);
      };
      const request = this.https ? https.request : http.request;
      const req = request(target, { method, headers, agent: this.agent, ...this.tls }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > BODY_LIMIT) {
            req.destroy();
            settle(badEndpoint(this.url, res.statusCode ?? 0, `an answer larger than ${BODY_LIMIT} bytes`));
          } else {
            chunks.push(c);
          }
        });
        res.on('error', (err) => settle(this.failure(err)));
        res.on('end', () => {
          try {
            settle(null, parseAnswer(this.url, res, Buffer.concat(chunks).toString('utf8')));
          } catch (err) {
            settle(err as Error);
          }
        });
      });
      const timer = setTimeout(() => {
        settle(new ServiceUnavailable(`no answer from ${target} within ${timeoutMs} ms`, true));
        req.destroy();
      }, timeoutMs);
      req.on('error', (err) => settle(this.failure(err)));
      req.end(body ?? undefined);
    });
  }

  private failure(err: NodeJS.ErrnoException): Error {
    const code = err.code ?? '';
    if (CERTIFICATE_ERRORS.has(code)) {
      return new DiscoveryError(
        'TLS',
        `discovery: the certificate of the discovery service at ${this.url} is refused (${code}: ${err.message}): ` +
          'set trusted-ca-file (client-transport-security) to the CA that signed it',
      );
    }
    if (code.startsWith('ERR_SSL_') && /certificate/i.test(err.message)) {
      return new DiscoveryError(
        'TLS',
        `discovery: the discovery service at ${this.url} refused this member's TLS handshake (${err.message}): ` +
          'if it asks for a client certificate, set cert-file and key-file (client-transport-security) to one it trusts',
      );
    }
    return new ServiceUnavailable(code !== '' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message);
  }
}

function parseAnswer(url: string, res: http.IncomingMessage, text: string): KeysAnswer {
  const status = res.statusCode ?? 0;
  if (status >= 500)
    throw new ServiceUnavailable(`HTTP ${status}${text.trim() === '' ? '' : `: ${text.trim().slice(0, 200)}`}`);
  const indexHeader = Number(res.headers['x-etcd-index']);
  const index = Number.isSafeInteger(indexHeader) && indexHeader >= 0 ? indexHeader : 0;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badEndpoint(url, status, JSON.stringify(text.trim().slice(0, 80)));
  }
  const body = json as { errorCode?: unknown; message?: unknown; node?: unknown };
  if (typeof body === 'object' && body !== null) {
    if (typeof body.errorCode === 'number') {
      return {
        ok: false,
        status,
        index,
        errorCode: body.errorCode,
        message: typeof body.message === 'string' ? body.message : '',
      };
    }
    if (isNode(body.node)) return { ok: true, status, index, node: body.node };
  }
  throw badEndpoint(url, status, JSON.stringify(text.trim().slice(0, 80)));
}

function isNode(n: unknown): n is KeysNode {
  const node = n as Partial<KeysNode> | null;
  return (
    typeof node === 'object' &&
    node !== null &&
    typeof node.key === 'string' &&
    typeof node.createdIndex === 'number' &&
    (node.nodes === undefined || (Array.isArray(node.nodes) && node.nodes.every(isNode)))
  );
}

function badEndpoint(url: string, status: number, what: string): DiscoveryError {
  return new DiscoveryError(
    'BAD_ENDPOINT',
    `discovery: bad discovery endpoint: ${url} answered HTTP ${status} with ${what}, not an etcd v2 keys response: ` +
      'give the URL the discovery service made (https://discovery.etcd.io/<token>), or <etcd client URL>/v2/keys/_etcd/registry/<token>',
  );
}
