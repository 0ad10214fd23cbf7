// A snapshot's data: the member list (a small Avro record) followed by the
// key tree in lib/store's own encoding: [u32 length of the members record]
// [members record][store bytes], written into one buffer. Wrapping or
// concatenating the tree's bytes instead cost a copy of hundreds of
// megabytes (measured: 1.0–1.3 s of a 2.9 s pause at 1M keys).

import avro from 'avsc';
import type { MemberInfo } from './service.js';

const membersType = avro.Type.forSchema({
  type: 'record',
  name: 'ServerMembers',
  namespace: 'kvd',
  fields: [
    {
      name: 'members',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Member',
          fields: [
            { name: 'id', type: 'string' },
            { name: 'name', type: 'string' },
            { name: 'peerURLs', type: { type: 'array', items: 'string' } },
            { name: 'clientURLs', type: { type: 'array', items: 'string' } },
          ],
        },
      },
    },
    { name: 'removed', type: { type: 'array', items: 'string' } },
  ],
});

export interface ServerState {
  readonly members: readonly MemberInfo[];
  readonly removed: readonly string[];
  readonly store: Buffer;
}

/** Thrown when snapshot data does not have the layout above. */
export class ServerStateError extends Error {
  readonly code = 'BAD_SERVER_STATE';
}

/**
 * The framed member list, and how many bytes of headroom the store's snapshot
 * (Store.snapshot / snapshotInPieces) must leave for it.
 */
export function serverStateHead(members: readonly MemberInfo[], removed: readonly string[]): { headroom: number; fill(data: Buffer): Buffer } {
  const head = membersType.toBuffer({
    members: members.map((m) => ({ id: m.id, name: m.name, peerURLs: [...m.peerURLs], clientURLs: [...m.clientURLs] })),
    removed: [...removed],
  });
  return {
    headroom: 4 + head.length,
    fill(data: Buffer): Buffer {
      data.writeUInt32BE(head.length, 0);
      head.copy(data, 4);
      return data;
    },
  };
}

export function decodeServerState(data: Buffer): ServerState {
  if (data.length < 4) throw new ServerStateError(`snapshot data of ${data.length} bytes is too short`);
  const length = data.readUInt32BE(0);
  if (4 + length > data.length) throw new ServerStateError(`snapshot data says its member list has ${length} bytes; only ${data.length - 4} follow`);
  const { members, removed } = membersType.fromBuffer(data.subarray(4, 4 + length)) as { members: MemberInfo[]; removed: string[] };
  return { members, removed, store: data.subarray(4 + length) };
}
