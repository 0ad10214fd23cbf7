// The small read-only endpoints: /version, /health, /v2/machines,
// /v2/stats/{self,leader,store} and /metrics.

import type { Logger } from 'pino';
import type { ClusterService } from '../server/index.js';
import type { Exchange } from './exchange.js';
import { httpErrorJson, marshal } from './json-out.js';
import { JSON_TYPE, reply, replyGoError, replyMethodNotAllowed, TEXT_TYPE } from './respond.js';

export interface VersionInfo {
  readonly etcdserver: string;
  readonly etcdcluster: string;
}

/** What the /metrics handler produces (e.g. prom-client's register.contentType and register.metrics()). */
export interface MetricsPage {
  readonly contentType: string;
  readonly body: string;
}

export type MetricsSource = () => Promise<MetricsPage> | MetricsPage;

const GET_ONLY = ['GET'] as const;
const MACHINES_METHODS = ['GET', 'HEAD'] as const;

export class InfoHandlers {
  private readonly versionBody: string;

  constructor(
    private readonly cluster: ClusterService,
    private readonly logger: Logger,
    version: VersionInfo,
    private readonly metrics: MetricsSource | undefined,
  ) {
    this.versionBody = marshal({ etcdserver: version.etcdserver, etcdcluster: version.etcdcluster });
  }

  version(ex: Exchange): void {
    if (ex.method !== 'GET') return replyMethodNotAllowed(ex, GET_ONLY);
    reply(ex, 200, ['Content-Type', JSON_TYPE], this.versionBody);
  }

  async health(ex: Exchange): Promise<void> {
    if (ex.method !== 'GET') return replyMethodNotAllowed(ex, GET_ONLY);
    let reason: string | null;
    try {
      reason = await this.cluster.unhealthyReason();
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    if (reason === null) {
      // etcd writes no Content-Type here; Go sniffs text/plain from the body.
      reply(ex, 200, [], '{"health":"true"}', TEXT_TYPE);
      return;
    }
    this.logger.warn({ reason }, 'serving /health false');
    replyGoError(ex, 503, '{"health":"false"}');
  }

  machines(ex: Exchange): void {
    if (ex.method !== 'GET' && ex.method !== 'HEAD') return replyMethodNotAllowed(ex, MACHINES_METHODS);
    const urls = this.cluster.members().flatMap((m) => m.clientURLs).sort();
    reply(ex, 200, [], urls.join(', '), TEXT_TYPE);
  }

  selfStats(ex: Exchange): void {
    if (ex.method !== 'GET') return replyMethodNotAllowed(ex, GET_ONLY);
    reply(ex, 200, ['Content-Type', JSON_TYPE], marshal(this.cluster.selfStats()));
  }

  storeStats(ex: Exchange): void {
    if (ex.method !== 'GET') return replyMethodNotAllowed(ex, GET_ONLY);
    reply(ex, 200, ['Content-Type', JSON_TYPE], marshal(this.cluster.storeStats()));
  }

  leaderStats(ex: Exchange): void {
    if (ex.method !== 'GET') return replyMethodNotAllowed(ex, GET_ONLY);
    const stats = this.cluster.leaderStats();
    if (stats === null) {
      reply(ex, 403, ['Content-Type', JSON_TYPE], httpErrorJson('not current leader'));
      return;
    }
    reply(ex, 200, ['Content-Type', JSON_TYPE], marshal(stats));
  }

  /** True when a metrics source is configured and answered (any method, as Prometheus' handler). */
  async serveMetrics(ex: Exchange): Promise<boolean> {
    if (this.metrics === undefined) return false;
    let page: MetricsPage;
    try {
      page = await this.metrics();
    } catch (err) {
      this.logger.warn({ err }, 'collecting metrics failed');
      replyGoError(ex, 500, 'An error has occurred while serving metrics');
      return true;
    }
    reply(ex, 200, ['Content-Type', page.contentType], page.body);
    return true;
  }
}
