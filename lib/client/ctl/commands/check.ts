// kvctl check hash (kvd only): every member's store hash at one index.
// The index is the lowest one any member is at, so each member either hashes
// its live tree (it is there) or rebuilds the tree at that index from its
// snapshot and log.

import { type Client, type Member } from '../../index.js';
import { type Ctx, Exit, ExitCode } from '../context.js';
import type { CommandAction } from './keys.js';

interface MemberHash {
  readonly member: Member;
  readonly index?: number;
  readonly hash?: string;
  readonly error?: string;
}

async function askHash(ctx: Ctx, client: Client, m: Member, index: number | null): Promise<MemberHash> {
  let last = 'no published client URL';
  for (const url of m.clientURLs) {
    try {
      const res = await client.getUrl(`${url}/v2/stats/hash${index === null ? '' : `?index=${index}`}`, ctx.io.signal);
      const body = JSON.parse(res.body.toString('utf8')) as {
        index?: number;
        hash?: string;
        message?: string;
        cause?: string;
      };
      if (res.status === 200 && typeof body.hash === 'string' && typeof body.index === 'number') {
        return { member: m, index: body.index, hash: body.hash };
      }
      last = `${res.status} ${body.message ?? ''}${body.cause ? `: ${body.cause}` : ''}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
  }
  return { member: m, error: last };
}

export const checkCommand: CommandAction = async (ctx, _flags, args) => {
  if (args.length !== 1 || args[0] !== 'hash') {
    ctx.err('Usage: kvctl check hash\n');
    throw new Exit(ExitCode.BadArgs);
  }
  const client = await ctx.client({ sync: false });
  const deadline = ctx.deadline();
  const list = await client.members
    .list({ signal: deadline.signal })
    .catch((e: unknown) => ctx.fail(ExitCode.ClusterNotHealthy, e instanceof Error ? e : String(e)))
    .finally(() => deadline.done());
  const now = await Promise.all(list.map((m) => askHash(ctx, client, m, null)));
  const reachable = now.filter((h) => h.index !== undefined);
  if (reachable.length === 0) {
    for (const h of now) ctx.out(`member ${h.member.id} (${h.member.name}): ${h.error}\n`);
    ctx.out('no member answered\n');
    throw new Exit(ExitCode.ClusterNotHealthy);
  }
  const index = Math.min(...reachable.map((h) => h.index ?? Infinity));
  const at = await Promise.all(list.map((m) => askHash(ctx, client, m, index)));
  const counts = new Map<string, number>();
  for (const h of at) if (h.hash !== undefined) counts.set(h.hash, (counts.get(h.hash) ?? 0) + 1);
  for (const h of at) {
    ctx.out(
      `member ${h.member.id} (${h.member.name}): ${h.hash !== undefined ? `index ${h.index} hash ${h.hash}` : `no hash: ${h.error}`}\n`,
    );
  }
  if (counts.size > 1) {
    ctx.out(`hashes differ at index ${index}: a member holds a different tree\n`);
    throw new Exit(ExitCode.ClusterNotHealthy);
  }
  if (at.some((h) => h.hash === undefined)) {
    ctx.out(`the members that answered agree at index ${index}; some did not answer\n`);
    throw new Exit(ExitCode.ClusterNotHealthy);
  }
  ctx.out(`all ${at.length} members agree at index ${index}\n`);
};
