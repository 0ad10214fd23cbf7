// member list|add|remove|update and cluster-health, with etcdctl's texts.

import { type Client, ClientFailure, type Member } from '../../index.js';
import { type Ctx, Exit, ExitCode } from '../context.js';
import type { CommandAction } from './keys.js';

/** Prints "<message>\n" to stderr and exits 1, as the member commands do. */
function die(ctx: Ctx, message: string): never {
  ctx.err(message + '\n');
  throw new Exit(ExitCode.BadArgs);
}

async function withDeadline<T>(
  ctx: Ctx,
  f: (signal: AbortSignal) => Promise<T>,
  onError: (e: Error) => never,
): Promise<T> {
  const deadline = ctx.deadline();
  try {
    return await f(deadline.signal);
  } catch (e) {
    if (e instanceof Error && !(e instanceof Exit)) onError(e);
    throw e;
  } finally {
    deadline.done();
  }
}

export const memberList: CommandAction = async (ctx, _flags, args) => {
  if (args.length !== 0) die(ctx, 'No arguments accepted');
  const { members } = await ctx.client({ sync: true });
  const list = await withDeadline(
    ctx,
    (signal) => members.list({ signal }),
    (e) => die(ctx, e.message),
  );
  const leader = await withDeadline(
    ctx,
    (signal) => members.leader({ signal }),
    (e) => die(ctx, `Failed to get leader:  ${e.message}`),
  );
  for (const m of list) {
    if (m.name === '') ctx.out(`${m.id}[unstarted]: peerURLs=${m.peerURLs.join(',')}\n`);
    else {
      ctx.out(
        `${m.id}: name=${m.name} peerURLs=${m.peerURLs.join(',')} clientURLs=${m.clientURLs.join(',')} isLeader=${m.id === leader.id}\n`,
      );
    }
  }
};

/** Go's %q. */
function quote(s: string): string {
  return JSON.stringify(s);
}

export const memberAdd: CommandAction = async (ctx, _flags, args) => {
  if (args.length !== 2) die(ctx, 'Provide a name and a single member peerURL');
  const [name, peerURL] = [args[0]!, args[1]!];
  const { members } = await ctx.client({ sync: true });
  const deadline = ctx.deadline();
  try {
    let added: Member;
    try {
      added = await members.add(peerURL, { signal: deadline.signal });
    } catch (e) {
      if (e instanceof Error) die(ctx, e.message);
      throw e;
    }
    ctx.out(`Added member named ${name} with ID ${added.id} to cluster\n`);
    let list: Member[];
    try {
      list = await members.list({ signal: deadline.signal });
    } catch (e) {
      if (e instanceof Error) die(ctx, e.message);
      throw e;
    }
    const conf = list.flatMap((m) => m.peerURLs.map((u) => `${m.id === added.id ? name : m.name}=${u}`));
    ctx.out(
      `\nETCD_NAME=${quote(name)}\nETCD_INITIAL_CLUSTER=${quote(conf.join(','))}\nETCD_INITIAL_CLUSTER_STATE="existing"\n`,
    );
  } finally {
    deadline.done();
  }
};

export const memberRemove: CommandAction = async (ctx, _flags, args) => {
  if (args.length !== 1) die(ctx, 'Provide a single member ID');
  const id = args[0]!;
  const { members } = await ctx.client({ sync: true });
  const deadline = ctx.deadline();
  try {
    let list: Member[];
    try {
      list = await members.list({ signal: deadline.signal });
    } catch (e) {
      if (e instanceof Error) die(ctx, `Error while verifying ID against known members: ${e.message}`);
      throw e;
    }
    let found = false;
    for (const m of list) {
      if (m.id === id) found = true;
      if (m.name === id) {
        ctx.err(
          `Found a member named ${m.name}; if this is correct, please use its ID, eg:\n\tkvctl member remove ${m.id}\n`,
        );
        ctx.err(
          'For more details, read the documentation at https://github.com/etcd-io/etcd/blob/master/Documentation/runtime-configuration.md#remove-a-member\n\n',
        );
      }
    }
    if (!found) die(ctx, `Couldn't find a member in the cluster with an ID of ${id}.`);
    try {
      await members.remove(id, { signal: deadline.signal });
    } catch (e) {
      if (e instanceof Error) {
        ctx.err(`Received an error trying to remove member ${id}: ${e.message}`);
        throw new Exit(ExitCode.BadArgs);
      }
      throw e;
    }
    ctx.out(`Removed member ${id} from cluster\n`);
  } finally {
    deadline.done();
  }
};

export const memberUpdate: CommandAction = async (ctx, _flags, args) => {
  if (args.length !== 2)
    die(ctx, 'Provide an ID and a list of comma separated peerURL (0xabcd http://example.com,http://example1.com)');
  const [id, urls] = [args[0]!, args[1]!];
  const { members } = await ctx.client({ sync: true });
  await withDeadline(
    ctx,
    (signal) => members.update(id, urls.split(','), { signal }),
    (e) => die(ctx, e.message),
  );
  ctx.out(`Updated member with ID ${id} in cluster\n`);
};

/** Reads a /health body as etcdctl does: {"health":"true"} or {"health":true}; Go's decode error otherwise. */
function healthOf(body: Buffer): { healthy: boolean } | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    const first = body.toString('utf8').trim()[0];
    return {
      error:
        first === undefined
          ? 'unexpected end of JSON input'
          : `invalid character '${first}' looking for beginning of value`,
    };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      error: `json: cannot unmarshal ${Array.isArray(raw) ? 'array' : typeof raw} into Go value of type struct { Health bool }`,
    };
  }
  const key = Object.keys(raw).find((k) => k.toLowerCase() === 'health');
  const v = key === undefined ? undefined : (raw as Record<string, unknown>)[key];
  if (v === undefined || v === null) return { healthy: false };
  if (typeof v === 'string') return { healthy: v === 'true' };
  if (typeof v === 'boolean') return { healthy: v };
  return { error: `json: cannot unmarshal ${typeof v} into Go struct field .Health of type bool` };
}

async function checkOnce(ctx: Ctx, client: Client, list: readonly Member[]): Promise<boolean> {
  let health = false;
  for (const m of list) {
    if (m.clientURLs.length === 0) {
      ctx.out(`member ${m.id} is unreachable: no available published client urls\n`);
      continue;
    }
    let checked = false;
    for (const url of m.clientURLs) {
      let result: { healthy: boolean } | { error: string };
      try {
        const res = await client.getUrl(url + '/health', ctx.io.signal);
        result = healthOf(res.body);
      } catch (e) {
        if (ctx.io.signal?.aborted) throw new Exit(ExitCode.Success);
        result = { error: `Get "${url}/health": ${e instanceof Error ? e.message : String(e)}` };
      }
      if ('error' in result) {
        ctx.out(`failed to check the health of member ${m.id} on ${url}: ${result.error}\n`);
        continue;
      }
      checked = true;
      if (result.healthy) {
        health = true;
        ctx.out(`member ${m.id} is healthy: got healthy result from ${url}\n`);
      } else ctx.out(`member ${m.id} is unhealthy: got unhealthy result from ${url}\n`);
      break;
    }
    if (!checked) ctx.out(`member ${m.id} is unreachable: [${m.clientURLs.join(' ')}] are all unreachable\n`);
  }
  ctx.out(health ? 'cluster is healthy\n' : 'cluster is unhealthy\n');
  return health;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const recheckMs = 10_000;

export const clusterHealth: CommandAction = async (ctx, flags) => {
  const forever = flags.bool('forever');
  const client = await ctx.client({ sync: false });
  let list: Member[];
  try {
    list = await client.members.list(ctx.io.signal ? { signal: ctx.io.signal } : {});
  } catch (e) {
    if (ctx.io.signal?.aborted || (e instanceof ClientFailure && e.kind === 'canceled'))
      throw new Exit(ExitCode.Success);
    ctx.out('cluster may be unhealthy: failed to list members\n');
    if (e instanceof Error) ctx.fail(ExitCode.ServerError, e);
    throw e;
  }
  for (;;) {
    const health = await checkOnce(ctx, client, list);
    if (!forever) {
      if (!health) throw new Exit(ExitCode.ClusterNotHealthy);
      return;
    }
    ctx.out('\nnext check after 10 second...\n\n');
    if (!(await sleep(recheckMs, ctx.io.signal))) return;
  }
};
