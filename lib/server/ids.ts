// Member and cluster ids, computed the way etcd computes them so that every
// member of a new cluster derives the same ids from the same configuration
// (and the same ids etcd would give that configuration).

import { createHash } from 'node:crypto';
import { asMemberId, type MemberId } from '../raft/index.js';

function first8(data: Buffer): bigint {
  return createHash('sha1').update(data).digest().readBigUInt64BE(0);
}

/** Hex without padding, as etcd's types.ID prints. */
const hex = (n: bigint): string => n.toString(16);

/** `addedAtSeconds` makes the id of a member added at runtime unique (etcd does the same). */
export function computeMemberId(peerURLs: readonly string[], clusterToken: string, addedAtSeconds?: number): MemberId {
  const joined =
    [...peerURLs].sort().join('') + clusterToken + (addedAtSeconds === undefined ? '' : String(addedAtSeconds));
  return asMemberId(hex(first8(Buffer.from(joined))));
}

export function computeClusterId(memberIds: readonly MemberId[]): string {
  const sorted = memberIds.map((id) => BigInt('0x' + id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const b = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => b.writeBigUInt64BE(id, 8 * i));
  return hex(first8(b));
}
