// A snapshot's data: the member list and the auth data (small Avro records)
// followed by the key tree in lib/store's own encoding: [u32 length of the
// head][members record][auth record][store bytes], written into one buffer.
// Snapshots from before auth have no auth record: the head ends with the
// members record, and auth is empty and disabled. Wrapping or
// concatenating the tree's bytes instead cost a copy of hundreds of
// megabytes (measured: 1.0–1.3 s of a 2.9 s pause at 1M keys).

import { decodeAuthData, encodeAuthData, type AuthData } from '../auth/index.js';
import { arrayOf, record, strings } from '../proposal/index.js';
import { memberRecord, type MemberInfo } from './members.js';

const serverMembers = record('ServerMembers', { members: arrayOf(memberRecord), removed: strings });

export interface ServerState {
  readonly members: readonly MemberInfo[];
  readonly removed: readonly string[];
  readonly auth: AuthData;
  readonly store: Buffer;
}

const NO_AUTH: AuthData = { enabled: false, users: [], roles: [] };

/** Thrown when snapshot data does not have the layout above. */
export class ServerStateError extends Error {
  readonly code = 'BAD_SERVER_STATE';
}

/**
 * The framed member list, and how many bytes of headroom the store's snapshot
 * (Store.snapshot / snapshotInPieces) must leave for it.
 */
export function serverStateHead(
  members: readonly MemberInfo[],
  removed: readonly string[],
  auth: AuthData,
): { headroom: number; fill(data: Buffer): Buffer } {
  const head = Buffer.concat([
    serverMembers.type.toBuffer(serverMembers.toWire({ members, removed })),
    encodeAuthData(auth),
  ]);
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
  if (4 + length > data.length)
    throw new ServerStateError(
      `snapshot data says its member list has ${length} bytes; only ${data.length - 4} follow`,
    );
  const head = data.subarray(4, 4 + length);
  const decoded = serverMembers.type.decode(head, 0);
  if (decoded.offset < 0) throw new ServerStateError('the member list in snapshot data is truncated');
  const { members, removed } = serverMembers.fromWire(decoded.value);
  let auth = NO_AUTH;
  if (decoded.offset < head.length) {
    const a = decodeAuthData(head, decoded.offset);
    if (a.end !== head.length)
      throw new ServerStateError(`snapshot data has ${head.length - a.end} unknown bytes after its auth data`);
    auth = a.data;
  }
  return { members, removed, auth, store: data.subarray(4 + length) };
}
