// A snapshot's data: the key tree (lib/store's own encoding) and the member
// list, as one Avro record.

import avro from 'avsc';
import type { MemberInfo } from './service.js';

const memberType: avro.Schema = {
  type: 'record',
  name: 'Member',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'peerURLs', type: { type: 'array', items: 'string' } },
    { name: 'clientURLs', type: { type: 'array', items: 'string' } },
  ],
};

const stateType = avro.Type.forSchema({
  type: 'record',
  name: 'ServerState',
  namespace: 'kvd',
  fields: [
    { name: 'members', type: { type: 'array', items: memberType } },
    { name: 'removed', type: { type: 'array', items: 'string' } },
    { name: 'store', type: 'bytes' },
  ],
});

export interface ServerState {
  readonly members: readonly MemberInfo[];
  readonly removed: readonly string[];
  readonly store: Buffer;
}

export function encodeServerState(s: ServerState): Buffer {
  return stateType.toBuffer({
    members: s.members.map((m) => ({ id: m.id, name: m.name, peerURLs: [...m.peerURLs], clientURLs: [...m.clientURLs] })),
    removed: [...s.removed],
    store: s.store,
  });
}

export function decodeServerState(data: Buffer): ServerState {
  return stateType.fromBuffer(data) as ServerState;
}
