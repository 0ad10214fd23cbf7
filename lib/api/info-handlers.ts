// The small read-only endpoints: /version, /health, /v2/machines,
// /v2/stats/{self,leader,store}, kvd's /v2/stats/hash and /metrics.

import type { Logger } from 'pino';
import type { ClusterService } from '../server/index.js';
import type { Exchange } from './exchange.js';
import { ErrorCode, etcdServerError, V2Error } from '../errors/index.js';
import { parseQuery, type FormValues } from './go-url.js';
import { httpErrorJson, marshal, v2ErrorJson } from './json-out.js';
import { parseUint64 } from './keys-request.js';
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
    const urls = this.cluster
      .members()
      .flatMap((m) => m.clientURLs)
      .sort();
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

  /**
   * kvd's /v2/stats/hash[?index=N]: {"index":N,"hash":"<sha-256 hex>"} for
   * the tree now or just after store index N; errors as etcd's error JSON
   * (203 for a bad index, 450/451 for one out of reach).
   */
  async storeHash(ex: Exchange, rawQuery: string): Promise<void> {
    if (ex.method !== 'GET') return replyMethodNotAllowed(ex, GET_ONLY);
    const form: FormValues = new Map();
    const text = parseQuery(rawQuery, form) === null ? form.get('index')?.[0] : 'x';
    let index: number | null = null;
    if (text !== undefined) {
      const n = parseUint64(text);
      if (n === null) return this.replyV2Error(ex, new V2Error(ErrorCode.IndexNaN, 'invalid value for "index"', 0));
      index = Number(n);
    }
    try {
      reply(ex, 200, ['Content-Type', JSON_TYPE], marshal(await this.cluster.storeHash(index)));
    } catch (err) {
      if (err instanceof V2Error) return this.replyV2Error(ex, err);
      this.logger.warn({ err }, 'store hash failed');
      this.replyV2Error(ex, etcdServerError(err instanceof Error ? err.message : String(err)));
    }
  }

  private replyV2Error(ex: Exchange, err: V2Error): void {
    reply(ex, err.status, ['Content-Type', JSON_TYPE, 'X-Etcd-Index', String(err.index)], v2ErrorJson(err));
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
