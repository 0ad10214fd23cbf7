#!/usr/bin/env node
// Builds the dashboard into dist/dashboard/: one bundled script and one
// stylesheet named by content hash, the page that loads them, and brotli and
// gzip copies of each file for the member to serve as they are.

import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const web = new URL('.', import.meta.url).pathname;
const out = join(web, '..', 'dist', 'dashboard');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: { app: join(web, 'src', 'main.ts') },
  outdir: out,
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
if (!js || !css) throw new Error(`dashboard build made no script or stylesheet: ${outputs.join(', ')}`);

const page = readFileSync(join(web, 'index.html'), 'utf8').replace('%JS%', js).replace('%CSS%', css);
writeFileSync(join(out, 'index.html'), page);
writeFileSync(join(out, 'favicon.svg'), readFileSync(join(web, 'favicon.svg')));

let total = 0;
for (const name of readdirSync(out)) {
  const body = readFileSync(join(out, name));
  const br = brotliCompressSync(body, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  const gz = gzipSync(body, { level: 9 });
  if (br.length < body.length) writeFileSync(join(out, `${name}.br`), br);
  if (gz.length < body.length) writeFileSync(join(out, `${name}.gz`), gz);
  total += br.length < body.length ? br.length : body.length;
}
console.log(`dashboard: ${js}, ${css} in dist/dashboard (${(total / 1024).toFixed(1)} KiB with brotli)`);
