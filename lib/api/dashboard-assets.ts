// The dashboard's built files (npm run build writes them to dist/dashboard/),
// read once into memory with their type, a strong ETag per encoding and the
// brotli and gzip versions the build wrote beside them.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ContentEncoding = 'br' | 'gzip' | 'identity';

export interface AssetVariant {
  readonly body: Buffer;
  readonly etag: string;
}

export interface Asset {
  readonly type: string;
  /** Named with a content hash: cacheable for ever. */
  readonly immutable: boolean;
  readonly variants: ReadonlyMap<ContentEncoding, AssetVariant>;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** esbuild's [name]-[hash] file names. */
const HASHED = /-[A-Z0-9]{8}\.[a-z]+$/;
/** The built dashboard is a few hundred KiB; this bounds what a wrong directory could make us hold. */
const MAX_TOTAL_BYTES = 16 << 20;

function etagOf(body: Buffer, encoding: ContentEncoding): string {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  return `"${hash}${encoding === 'identity' ? '' : `-${encoding}`}"`;
}

/** dist/dashboard of this package, found upwards from this module (lib/api or dist/lib/api). */
export function defaultDashboardDir(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'kvd')
          return join(dir, 'dist', 'dashboard');
      } catch {
        // an unreadable package.json is not ours: keep climbing
      }
    }
    dir = join(dir, '..');
  }
  return fileURLToPath(new URL('../../dist/dashboard', import.meta.url));
}

/**
 * Reads every file of `dir` (flat) into a map by name; `x.br` and `x.gz`
 * become x's encoded variants. Null when the directory has no index.html
 * (the dashboard was not built).
 */
export function loadAssets(dir: string): Map<string, Asset> | null {
  if (!existsSync(join(dir, 'index.html'))) return null;
  const files = new Map<string, Buffer>();
  let total = 0;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const body = readFileSync(path);
    total += body.length;
    if (total > MAX_TOTAL_BYTES) throw new Error(`dashboard files in ${dir} exceed ${MAX_TOTAL_BYTES} bytes`);
    files.set(name, body);
  }
  const assets = new Map<string, Asset>();
  for (const [name, body] of files) {
    if (name.endsWith('.br') || name.endsWith('.gz')) continue;
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const variants = new Map<ContentEncoding, AssetVariant>([['identity', { body, etag: etagOf(body, 'identity') }]]);
    const br = files.get(`${name}.br`);
    if (br !== undefined) variants.set('br', { body: br, etag: etagOf(body, 'br') });
    const gz = files.get(`${name}.gz`);
    if (gz !== undefined) variants.set('gzip', { body: gz, etag: etagOf(body, 'gzip') });
    assets.set(name, { type, immutable: HASHED.test(name), variants });
  }
  return assets;
}

/** The encodings an Accept-Encoding header allows (q > 0), as a set; identity is always allowed. */
export function acceptedEncodings(header: string | undefined): Set<ContentEncoding> {
  const out = new Set<ContentEncoding>(['identity']);
  if (header === undefined) return out;
  for (const part of header.split(',')) {
    const [rawName, ...params] = part.trim().split(';');
    const name = rawName!.trim().toLowerCase();
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    if (name === 'br') out.add('br');
    if (name === 'gzip' || name === 'x-gzip') out.add('gzip');
    if (name === '*') {
      out.add('br');
      out.add('gzip');
    }
  }
  return out;
}

/** The best variant the client accepts: brotli, then gzip, then the plain file. */
export function pickVariant(asset: Asset, accepted: ReadonlySet<ContentEncoding>): [ContentEncoding, AssetVariant] {
  for (const enc of ['br', 'gzip'] as const) {
    const v = asset.variants.get(enc);
    if (v !== undefined && accepted.has(enc)) return [enc, v];
  }
  return ['identity', asset.variants.get('identity')!];
}

/** Whether an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for GET). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
