// The loads of a benchmark run (issue 16's table), each against one member's
// client URLs, and how each is run with wrk or h2load.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Figures } from './figures.js';
import { h2loadFigures, parseH2loadLog, parseH2loadSummary } from './h2load.js';
import { run } from './procs.js';
import { parseWrk, wrkScript, type WrkRequests } from './wrk.js';

export type LoadKind = 'seq' | 'put' | 'get' | 'qget' | 'h2get' | 'h2post';
export const LOAD_KINDS: readonly LoadKind[] = ['seq', 'put', 'get', 'qget', 'h2get', 'h2post'];

export interface Load {
  /** Stable across commits: results are matched by it. */
  readonly id: string;
  readonly label: string;
  readonly kind: LoadKind;
  readonly connections: number;
  /** Concurrent streams per connection (h2 loads). */
  readonly streams: number;
}

export interface LoadPlan {
  readonly kinds: readonly LoadKind[];
  readonly putConnections: readonly number[];
  readonly getConnections: number;
  readonly h2Connections: number;
  readonly h2Streams: number;
}

export function plannedLoads(p: LoadPlan): Load[] {
  const out: Load[] = [];
  const h2 = `${p.h2Connections}x${p.h2Streams}`;
  for (const kind of LOAD_KINDS.filter((k) => p.kinds.includes(k))) {
    switch (kind) {
      case 'seq':
        out.push({ id: 'seq-put', label: 'sequential PUT, 1 client', kind, connections: 1, streams: 1 });
        break;
      case 'put':
        for (const c of p.putConnections)
          out.push({ id: `put-c${c}`, label: `PUT c=${c}`, kind, connections: c, streams: 1 });
        break;
      case 'get':
        out.push({
          id: `get-c${p.getConnections}`,
          label: `local GET c=${p.getConnections}`,
          kind,
          connections: p.getConnections,
          streams: 1,
        });
        break;
      case 'qget':
        out.push({
          id: `qget-c${p.getConnections}`,
          label: `quorum GET c=${p.getConnections}`,
          kind,
          connections: p.getConnections,
          streams: 1,
        });
        break;
      case 'h2get':
        out.push({
          id: `h2-get-${h2}`,
          label: `h2 TLS GET ${h2}`,
          kind,
          connections: p.h2Connections,
          streams: p.h2Streams,
        });
        break;
      case 'h2post':
        out.push({
          id: `h2-post-${h2}`,
          label: `h2 TLS POST ${h2}`,
          kind,
          connections: p.h2Connections,
          streams: p.h2Streams,
        });
        break;
    }
  }
  return out;
}

/** Keys the read loads cycle through, written before them. */
export const READ_PREFIX = '/bench/read/k';

export interface LoadTarget {
  readonly clientURL: string;
  readonly tlsClientURL: string;
}

export interface LoadContext {
  readonly dir: string;
  readonly seconds: number;
  readonly value: string;
  readonly readKeys: number;
  readonly wrkThreads: number;
}

/** Runs `load` against `target` for ctx.seconds; throws when the tool fails or prints no result. */
export async function runLoad(load: Load, target: LoadTarget, ctx: LoadContext): Promise<Figures> {
  switch (load.kind) {
    case 'seq':
    case 'put':
      return wrk(load, target, ctx, { kind: 'put', prefix: `/v2/keys/bench/${load.id}/`, value: ctx.value });
    case 'get':
    case 'qget':
      return wrk(load, target, ctx, {
        kind: 'get',
        prefix: `/v2/keys${READ_PREFIX}`,
        count: ctx.readKeys,
        query: load.kind === 'qget' ? '?quorum=true' : '',
      });
    case 'h2get':
    case 'h2post':
      return h2load(load, target, ctx);
  }
}

async function wrk(load: Load, target: LoadTarget, ctx: LoadContext, requests: WrkRequests): Promise<Figures> {
  const script = join(ctx.dir, `${load.id}.lua`);
  writeFileSync(script, wrkScript(requests));
  const threads = Math.min(ctx.wrkThreads, load.connections);
  const args = [
    '-t',
    String(threads),
    '-c',
    String(load.connections),
    '-d',
    `${ctx.seconds}s`,
    '--timeout',
    '60s',
    '-s',
    script,
    target.clientURL,
  ];
  const r = await run('wrk', args, (ctx.seconds + 90) * 1000);
  if (r.code !== 0) throw new Error(`wrk ${args.join(' ')} exited with ${r.code}: ${r.stderr.slice(-2000)}`);
  return parseWrk(r.stdout);
}

async function h2load(load: Load, target: LoadTarget, ctx: LoadContext): Promise<Figures> {
  const log = join(ctx.dir, `${load.id}.h2load.log`);
  writeFileSync(log, '');
  // The warm-up keeps the TLS handshakes out of the figures (h2load logs and counts only what follows it).
  const args = [
    '-c',
    String(load.connections),
    '-m',
    String(load.streams),
    '-D',
    String(ctx.seconds),
    '--warm-up-time',
    '1',
    '--log-file',
    log,
  ];
  if (load.kind === 'h2get') {
    const uris = join(ctx.dir, `${load.id}.uris`);
    const lines = Array.from({ length: ctx.readKeys }, (_, i) => `${target.tlsClientURL}/v2/keys${READ_PREFIX}${i}`);
    writeFileSync(uris, `${lines.join('\n')}\n`);
    args.push('-i', uris);
  } else {
    // POST creates an in-order key: a new key per request, which h2load's fixed URI list cannot give PUT.
    const body = join(ctx.dir, `${load.id}.body`);
    writeFileSync(body, `value=${encodeURIComponent(ctx.value)}`);
    args.push(
      '-d',
      body,
      '-H',
      'content-type: application/x-www-form-urlencoded',
      `${target.tlsClientURL}/v2/keys/bench/${load.id}`,
    );
  }
  const r = await run('h2load', args, (ctx.seconds + 90) * 1000);
  if (r.code !== 0)
    throw new Error(`h2load ${args.join(' ')} exited with ${r.code}: ${(r.stdout + r.stderr).slice(-2000)}`);
  return h2loadFigures(parseH2loadSummary(r.stdout), parseH2loadLog(readFileSync(log, 'utf8')));
}
