// Sends one request to the cluster: tries the endpoints in turn, starting at
// the last one that answered, as etcd's httpClusterClient does.

import { STATUS_CODES } from 'node:http';

import { ClientFailure, ClusterError, NoEndpointsError } from './errors.js';
import type { HttpRequest, HttpResponse, Transport } from './transport.js';
import { type Endpoint, parseEndpoint } from './url.js';

/** Builds the request for one endpoint (the path prefix of the endpoint is part of the target). */
export type Action = (ep: Endpoint) => HttpRequest;

export interface CallOptions {
  readonly signal?: AbortSignal;
  /**
   * Not safe to repeat once sent (create-only sets, deletes): a second
   * endpoint is tried only when nothing reached the first.
   */
  readonly oneShot?: boolean;
  /** A watch: no header timeout, the server answers when an event comes. */
  readonly wait?: boolean;
}

export interface ClusterClientOptions {
  /** Per request, until response headers; 0 for none (--timeout). */
  readonly headerTimeoutMs: number;
  /** Called with etcdctl's --debug line for every request sent. */
  readonly onRequest?: (curlLine: string) => void;
  /** Sent as HTTP basic auth with every request (etcdctl --username). */
  readonly credentials?: { readonly username: string; readonly password: string };
}

const maxRedirects = 10;

export class ClusterClient {
  private eps: Endpoint[];
  private pinned = 0;

  /** @throws EndpointParseError for an endpoint etcdctl would refuse. */
  constructor(
    endpoints: readonly string[],
    readonly transport: Transport,
    private readonly opts: ClusterClientOptions,
  ) {
    this.eps = endpoints.map(parseEndpoint);
  }

  endpoints(): string[] {
    return this.eps.map((e) => e.text);
  }

  /** Replaces the endpoints (after a sync); throws EndpointParseError. */
  setEndpoints(endpoints: readonly string[]): void {
    if (endpoints.length === 0) throw new NoEndpointsError();
    this.eps = endpoints.map(parseEndpoint);
    this.pinned = 0;
  }

  async do(action: Action, call: CallOptions = {}): Promise<HttpResponse> {
    const n = this.eps.length;
    if (n === 0) throw new NoEndpointsError();
    const errors: Error[] = [];
    for (let i = this.pinned; i < this.pinned + n; i++) {
      const k = i % n;
      const ep = this.eps[k]!;
      let failure: ClientFailure;
      try {
        const res = await this.followRedirects(ep, action, call);
        if (Math.floor(res.status / 100) !== 5) {
          this.pinned = k;
          return res;
        }
        failure =
          res.status === 500 || res.status === 503
            ? new ClientFailure('server', `client: etcd member ${ep.text} has no leader`)
            : new ClientFailure(
                'server',
                `client: etcd member ${ep.text} returns server error [${STATUS_CODES[res.status] ?? res.status}]`,
              );
      } catch (e) {
        if (!(e instanceof ClientFailure)) throw e;
        if (e.kind === 'deadline' || e.kind === 'canceled') throw e;
        failure = e;
      }
      errors.push(failure);
      if (call.oneShot && failure.kind !== 'dial' && failure.kind !== 'tls') {
        this.pinned = (k + 1) % n;
        throw failure;
      }
    }
    if (call.oneShot && errors.length === 1) throw errors[0]!;
    throw new ClusterError(errors);
  }

  private async followRedirects(ep: Endpoint, action: Action, call: CallOptions): Promise<HttpResponse> {
    let target = ep;
    let req = action(ep);
    const cred = this.opts.credentials;
    if (cred)
      req = {
        ...req,
        headers: {
          ...req.headers,
          authorization: 'Basic ' + Buffer.from(`${cred.username}:${cred.password}`).toString('base64'),
        },
      };
    for (let hop = 0; ; hop++) {
      if (hop > maxRedirects) throw new ClientFailure('protocol', 'client: too many redirects');
      this.opts.onRequest?.(curlLine(target, req));
      const res = await this.transport.exchange(target, req, {
        headerTimeoutMs: call.wait ? 0 : this.opts.headerTimeoutMs,
        ...(call.signal && { signal: call.signal }),
      });
      if (Math.floor(res.status / 100) !== 3) return res;
      const location = res.headers['location'];
      if (!location) throw new ClientFailure('protocol', 'location header not set');
      let next: URL;
      try {
        next = new URL(location, `${target.scheme}://${target.host}`);
      } catch {
        throw new ClientFailure('protocol', `location header not valid URL: ${location}`);
      }
      target = parseEndpoint(`${next.protocol}//${next.host}`);
      req = { ...req, target: next.pathname + next.search };
    }
  }
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** etcd's printcURL: "curl -X PUT http://127.0.0.1:2379/v2/keys/foo -d \"value=bar\"". */
function curlLine(ep: Endpoint, req: HttpRequest): string {
  const url = `${ep.scheme}://${ep.host}${req.target}`;
  return `curl -X ${req.method} ${url}` + (req.body === null ? '' : ` -d ${goQuote(req.body)}`);
}
