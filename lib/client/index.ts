// kvctl's client for the etcd v2 HTTP API (kvd and etcd alike): endpoint
// failover, HTTP/1.1 or h2 over TLS, etcd's request shapes and error texts.

import { AuthApi } from './auth.js';
import { type CallOptions, ClusterClient } from './cluster.js';
import { NoEndpointsError } from './errors.js';
import { KeysApi } from './keys.js';
import { MembersApi } from './members.js';
import { type HttpResponse, type Protocol, type TlsFiles, Transport } from './transport.js';
import { canonicalPath, escapePath, parseEndpoint } from './url.js';

export { AuthRefusedError, type PermissionType, type RoleInfo } from './auth.js';
export type { Action, CallOptions } from './cluster.js';
export {
  ClientFailure,
  ClusterError,
  EtcdError,
  MembersError,
  NoEndpointsError,
  deadlineExceeded,
  isConnectionError,
  type FailureKind,
} from './errors.js';
export type { DeleteOptions, GetOptions, SetOptions, Watcher, WatcherOptions } from './keys.js';
export { type Member, PeerUrlError, validatePeerUrls } from './members.js';
export { type KeyNode, type KeysResponse, goJsonString, responseJson } from './response.js';
export { type HttpResponse, type Protocol, type TlsFiles, TlsFileError } from './transport.js';
export { EndpointParseError, parseEndpoint } from './url.js';

export interface ClientConfig {
  readonly endpoints: readonly string[];
  readonly tls?: TlsFiles;
  /** Per request until response headers (etcdctl --timeout); 0 for none. */
  readonly headerTimeoutMs: number;
  /** Connection set-up limit. */
  readonly dialTimeoutMs: number;
  /** Receives etcdctl's --debug curl line for each request. */
  readonly onRequest?: (curlLine: string) => void;
  /** HTTP basic auth for every request (etcdctl --username). */
  readonly credentials?: { readonly username: string; readonly password: string };
}

export class Client {
  readonly keys: KeysApi;
  readonly members: MembersApi;
  readonly auth: AuthApi;
  private readonly cluster: ClusterClient;
  private readonly transport: Transport;

  /** @throws TlsFileError, EndpointParseError */
  constructor(config: ClientConfig) {
    this.transport = new Transport(config.tls ?? {}, config.dialTimeoutMs);
    try {
      this.cluster = new ClusterClient(config.endpoints, this.transport, {
        headerTimeoutMs: config.headerTimeoutMs,
        ...(config.onRequest && { onRequest: config.onRequest }),
        ...(config.credentials && { credentials: config.credentials }),
      });
    } catch (e) {
      this.transport.close();
      throw e;
    }
    this.keys = new KeysApi(this.cluster);
    this.members = new MembersApi(this.cluster);
    this.auth = new AuthApi(this.cluster);
  }

  endpoints(): string[] {
    return this.cluster.endpoints();
  }

  /**
   * etcd's Client.Sync: the endpoints become every member's client URLs.
   * @throws NoEndpointsError when the cluster publishes none.
   */
  async sync(call: CallOptions = {}): Promise<void> {
    const members = await this.members.list(call);
    const urls = members.flatMap((m) => m.clientURLs);
    if (urls.length === 0) throw new NoEndpointsError();
    this.cluster.setEndpoints(urls);
  }

  /**
   * One plain GET of a member's client URL plus path, outside failover and
   * whatever its status (cluster-health reads /health this way).
   * @throws ClientFailure, EndpointParseError
   */
  getUrl(url: string, signal?: AbortSignal): Promise<HttpResponse> {
    const ep = parseEndpoint(url);
    const target = canonicalPath(ep.path);
    return this.transport.exchange(
      ep,
      { method: 'GET', target: escapePath(target), headers: {}, body: null },
      {
        headerTimeoutMs: 0,
        ...(signal && { signal }),
      },
    );
  }

  /** The protocol spoken with an endpoint: h2 when an https member offers it by ALPN. */
  protocolOf(endpoint: string): Promise<Protocol> {
    return this.transport.protocolOf(parseEndpoint(endpoint));
  }

  close(): void {
    this.transport.close();
  }
}
