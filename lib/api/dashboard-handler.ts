// /dashboard/: the built page and its files, and the two JSON views it reads
// besides the v2 API (/dashboard/api/latency, /dashboard/api/cluster).
// Everything the page needs comes from this member: the Content-Security-
// Policy tells the browser to load nothing from anywhere else.

import { gzipSync } from 'node:zlib';
import type { DashboardService } from '../server/index.js';
import { acceptedEncodings, etagMatches, pickVariant, type Asset } from './dashboard-assets.js';
import type { Exchange } from './exchange.js';
import { httpDate, replyGoError, replyMethodNotAllowed, replyNotFound, replyRedirect } from './respond.js';

export const DASHBOARD_PATH = '/dashboard';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS: readonly string[] = [
  'Content-Security-Policy',
  CSP,
  'Referrer-Policy',
  'no-referrer',
  'X-Content-Type-Options',
  'nosniff',
];

const READ_METHODS = ['GET', 'HEAD'] as const;
/** JSON answers shorter than this go uncompressed: gzip would not save a packet. */
const COMPRESS_FROM_BYTES = 1400;

function queryNumber(rawQuery: string, name: string, fallback: number): number {
  const raw = new URLSearchParams(rawQuery).get(name);
  const n = raw === null ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

export class DashboardHandler {
  constructor(
    private readonly service: DashboardService,
    /** null when the page was not built: /dashboard/ then says so. */
    private readonly assets: ReadonlyMap<string, Asset> | null,
  ) {}

  /** `path` is the clean request path, /dashboard or under /dashboard/. */
  async handle(ex: Exchange, path: string, rawQuery: string): Promise<void> {
    if (ex.method !== 'GET' && ex.method !== 'HEAD') return replyMethodNotAllowed(ex, READ_METHODS);
    if (path === DASHBOARD_PATH) return replyRedirect(ex, `${DASHBOARD_PATH}/${rawQuery === '' ? '' : `?${rawQuery}`}`);
    const rest = path.slice(DASHBOARD_PATH.length + 1);
    if (rest === 'api/latency')
      return this.json(ex, await this.service.latencyReport(queryNumber(rawQuery, 'seconds', 300)));
    if (rest === 'api/cluster')
      return this.json(ex, await this.service.clusterReport(queryNumber(rawQuery, 'since', 0)));
    if (this.assets === null) {
      return replyGoError(
        ex,
        503,
        'The dashboard is not built in this installation: run npm run build (or npm ci) and restart kvd.',
      );
    }
    const asset = this.assets.get(rest === '' ? 'index.html' : rest);
    if (asset === undefined || rest.includes('/')) return replyNotFound(ex);
    this.file(ex, asset);
  }

  private file(ex: Exchange, asset: Asset): void {
    const [encoding, variant] = pickVariant(asset, acceptedEncodings(ex.header('accept-encoding')));
    const headers = [
      'Cache-Control',
      asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'ETag',
      variant.etag,
      'Vary',
      'Accept-Encoding',
      ...PAGE_HEADERS,
      'Date',
      httpDate(),
    ];
    if (etagMatches(ex.header('if-none-match'), variant.etag)) {
      ex.send(304, headers, null);
      return;
    }
    headers.push('Content-Type', asset.type, 'Content-Length', String(variant.body.length));
    if (encoding !== 'identity') headers.push('Content-Encoding', encoding);
    ex.send(200, headers, ex.method === 'HEAD' ? null : variant.body);
  }

  private json(ex: Exchange, value: unknown): void {
    const text = Buffer.from(JSON.stringify(value));
    const gzip = text.length >= COMPRESS_FROM_BYTES && acceptedEncodings(ex.header('accept-encoding')).has('gzip');
    const body = gzip ? gzipSync(text, { level: 1 }) : text;
    const headers = [
      'Cache-Control',
      'no-store',
      'Content-Type',
      'application/json',
      'Vary',
      'Accept-Encoding',
      ...PAGE_HEADERS,
      'Date',
      httpDate(),
      'Content-Length',
      String(body.length),
    ];
    if (gzip) headers.push('Content-Encoding', 'gzip');
    ex.send(200, headers, ex.method === 'HEAD' ? null : body);
  }
}
