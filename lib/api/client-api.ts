// The client HTTP surface of one member: listeners (plaintext with h2c by
// preface, or TLS with ALPN), the router, and a graceful close.

import net, { type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { Passwords, type AuthService } from '../auth/index.js';
import type { ClusterService, DashboardService, KeysService } from '../server/index.js';
import { TlsConfigError, TlsGate } from '../tls/index.js';
import { AuthGate, type AuthRefusal } from './auth-gate.js';
import { AuthHandler } from './auth-handler.js';
import { Connections } from './connections.js';
import { defaultDashboardDir, loadAssets } from './dashboard-assets.js';
import { DashboardHandler } from './dashboard-handler.js';
import { InfoHandlers, type MetricsSource, type VersionInfo } from './info-handlers.js';
import { DEFAULT_WATCH_TIMEOUT_MS, KeysHandler, type WatchRegistry } from './keys-handler.js';
import { MembersHandler } from './members-handler.js';
import { Router } from './router.js';

export type ClientTlsOptions = tls.SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean };

export interface ClientApiOptions {
  keys: KeysService;
  cluster: ClusterService;
  logger: Logger;
  /** The /version body, e.g. { etcdserver: '3.4.23', etcdcluster: '3.4.0' }. */
  version: VersionInfo;
  /** When set, https:// listen URLs serve TLS with HTTP/2 by ALPN and HTTP/1.1 as fallback. */
  tls?: ClientTlsOptions | null;
  /** Serves /metrics when given; without it /metrics is a 404. */
  metrics?: MetricsSource;
  /** How long a watch stays open without an event (etcd: 5 minutes). */
  watchTimeoutMs?: number;
  /** How long close() waits for open connections before destroying them. */
  closeTimeoutMs?: number;
  /** Told of every response's method and status (for request metrics). */
  onResponse?: (method: string, status: number) => void;
  /** Serves the dashboard at /dashboard/ when given; without it /dashboard/ is a 404. */
  dashboard?: DashboardService | null;
  /** Where the built dashboard files are (default: this package's dist/dashboard). */
  dashboardDir?: string;
  /** Serves /v2/auth and checks every request against it when given; without it there is no auth. */
  auth?: AuthService | null;
  /** Told of every request refused by auth (for the refusals metric). */
  onAuthRefused?: (reason: AuthRefusal) => void;
  /** bcrypt and the verified-credentials cache (default: etcd's cost, 60 s, 4096 entries). */
  passwords?: Passwords;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 2000;

export class ClientApi {
  private readonly connections: Connections;
  private readonly watches: WatchRegistry = new Set();
  private readonly servers: NetServer[] = [];
  private readonly logger: Logger;
  /** Refuses and logs clients without a trusted certificate, on every TLS listener. */
  private gate: TlsGate | null = null;
  private readonly passwords: Passwords | null = null;
  private readonly authGate: AuthGate | null = null;
  private closed = false;

  constructor(private readonly opts: ClientApiOptions) {
    this.logger = opts.logger;
    let authHandler: AuthHandler | null = null;
    if (opts.auth) {
      this.passwords = opts.passwords ?? new Passwords();
      // etcd takes the certificate's name as the user only with client-cert-auth on.
      const clientCertAuth = opts.tls?.requestCert === true;
      this.authGate = new AuthGate(
        opts.auth.authView,
        this.passwords,
        clientCertAuth,
        opts.logger,
        opts.onAuthRefused ?? (() => {}),
      );
      authHandler = new AuthHandler(opts.auth, opts.keys, this.authGate, this.passwords, opts.logger);
    }
    const keys = new KeysHandler(
      opts.keys,
      opts.logger,
      this.watches,
      opts.watchTimeoutMs ?? DEFAULT_WATCH_TIMEOUT_MS,
      this.authGate,
    );
    const members = new MembersHandler(opts.keys, opts.cluster, opts.logger, this.authGate);
    const info = new InfoHandlers(opts.cluster, opts.logger, opts.version, opts.metrics);
    const router = new Router(keys, members, info, opts.logger, this.dashboardHandler(), authHandler);
    this.connections = new Connections((ex) => router.handle(ex), opts.logger, opts.onResponse ?? null);
  }

  private dashboardHandler(): DashboardHandler | null {
    const service = this.opts.dashboard ?? null;
    if (service === null) return null;
    const dir = this.opts.dashboardDir ?? defaultDashboardDir();
    const assets = loadAssets(dir);
    if (assets === null)
      this.logger.warn(
        { dir },
        'the dashboard is not built (no index.html): /dashboard/ answers 503; run npm run build',
      );
    return new DashboardHandler(service, assets);
  }

  /** Listen on a URL like http://127.0.0.1:2379 or https://...; port 0 allowed; resolves with the bound URL. */
  async listen(url: string): Promise<string> {
    if (this.closed) throw new Error('client API is closed');
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`listen URL must be http or https: ${url}`);
    const secure = u.protocol === 'https:';
    const tlsOptions = this.opts.tls ?? null;
    if (secure && tlsOptions === null) throw new Error(`listen URL ${url} needs TLS options`);
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = u.port === '' ? (secure ? 443 : 80) : Number(u.port);

    let server: NetServer;
    if (tlsOptions !== null && secure) {
      const gate = (this.gate ??= new TlsGate(tlsOptions, this.logger, 'client'));
      let tlsServer: tls.Server;
      try {
        tlsServer = tls.createServer({ ...gate.serverOptions, ALPNProtocols: ['h2', 'http/1.1'] });
      } catch (err) {
        // lib/tls checks material when it loads it; this catches options that did not come from there.
        throw new TlsConfigError(
          'CERT_REFUSED',
          undefined,
          `client TLS: OpenSSL refuses the TLS options for ${url} (${(err as Error).message})`,
        );
      }
      tlsServer.on('connection', (socket: Socket) => this.connections.track(socket));
      tlsServer.on('secureConnection', (socket: TLSSocket) => {
        if (gate.admit(socket)) this.connections.dispatch(socket, socket.alpnProtocol === 'h2');
      });
      tlsServer.on('tlsClientError', (err, socket: TLSSocket) => gate.handshakeFailed(err, socket));
      server = tlsServer;
    } else {
      server = net.createServer((socket) => {
        this.connections.track(socket);
        this.connections.sniff(socket);
      });
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error({ err, url }, 'client listener error'));
    this.servers.push(server);
    const addr = server.address() as AddressInfo;
    const bound = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.logger.info({ url: `${u.protocol}//${bound}:${addr.port}` }, 'serving client requests');
    return `${u.protocol}//${bound}:${addr.port}`;
  }

  /**
   * New certificate material for the TLS listeners (rotation): new handshakes
   * use it, established connections keep theirs.
   */
  setSecureContext(ctx: tls.SecureContextOptions): void {
    for (const server of this.servers) if (server instanceof tls.Server) server.setSecureContext(ctx);
  }

  /** Stop accepting, end open watches cleanly, resolve once every connection is closed (bounded wait, then destroy). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const server of this.servers) server.close();
    for (const watch of [...this.watches]) watch.end();
    this.gate?.close();
    this.authGate?.close();
    this.passwords?.close();
    await this.connections.close(this.opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
  }
}
