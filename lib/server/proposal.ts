// The bytes inside every log entry. A normal entry carries one Proposal: who
// proposed it (so only that member answers its waiting client), when (the
// time every member applies it with), and what. A confChange entry carries a
// MembershipChange. Both are Avro, compiled once.

import avro from 'avsc';
import {
  AUTH_OPERATION_SCHEMAS,
  authOperationFromWire,
  authOperationToWire,
  describeAuthOperation,
  isAuthOperation,
  type AuthOperation,
} from '../auth/index.js';
import type { EntryType } from '../raft/index.js';
import type { StoreRequest } from '../store/index.js';

/** Announces a member's name and client URLs (etcd's "publish"). */
export interface PublishRequest {
  readonly op: 'publish';
  readonly id: string;
  readonly name: string;
  readonly clientURLs: readonly string[];
}

export type ProposalBody = StoreRequest | PublishRequest | AuthOperation;

export interface Proposal {
  /** Member id of the proposer. */
  readonly origin: string;
  /** The proposer's request id, never reused, not even across its restarts (ProposalIds); (origin, seq) finds the waiting client. 0: nobody waits. */
  readonly seq: number;
  /** Milliseconds since the epoch, stamped by the proposer. TTLs are computed from it. */
  readonly time: number;
  readonly body: ProposalBody;
}

export interface MembershipChange {
  readonly type: 'add' | 'remove' | 'update';
  readonly id: string;
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly origin: string;
  readonly seq: number;
}

const optString = ['null', 'string'];
const optLong = ['null', 'long'];
/**
 * A client's prevIndex is any unsigned 64-bit value (etcd's uint64). A long
 * holds it up to the largest one avsc takes (as before this branch was
 * added, so older logs read the same); beyond, the 8 big-endian bytes.
 */
const optUint64 = ['null', 'long', { type: 'fixed' as const, name: 'Uint64', size: 8 }];

const proposalType = avro.Type.forSchema({
  type: 'record',
  name: 'Proposal',
  fields: [
    { name: 'origin', type: 'string' },
    { name: 'seq', type: 'long' },
    { name: 'time', type: 'long' },
    {
      name: 'body',
      type: [
        {
          type: 'record',
          name: 'Put',
          fields: [
            { name: 'path', type: 'string' },
            { name: 'value', type: 'string' },
            { name: 'dir', type: 'boolean' },
            { name: 'ttl', type: optLong },
            { name: 'refresh', type: 'boolean' },
            { name: 'prevValue', type: optString },
            { name: 'prevIndex', type: optUint64 },
            { name: 'prevExist', type: ['null', 'boolean'] },
          ],
        },
        {
          type: 'record',
          name: 'Post',
          fields: [
            { name: 'path', type: 'string' },
            { name: 'value', type: 'string' },
            { name: 'dir', type: 'boolean' },
            { name: 'ttl', type: optLong },
          ],
        },
        {
          type: 'record',
          name: 'Delete',
          fields: [
            { name: 'path', type: 'string' },
            { name: 'dir', type: 'boolean' },
            { name: 'recursive', type: 'boolean' },
            { name: 'prevValue', type: optString },
            { name: 'prevIndex', type: ['null', 'long', 'Uint64'] },
          ],
        },
        { type: 'record', name: 'Sync', fields: [] },
        {
          type: 'record',
          name: 'Publish',
          fields: [
            { name: 'id', type: 'string' },
            { name: 'name', type: 'string' },
            { name: 'clientURLs', type: { type: 'array', items: 'string' } },
          ],
        },
        ...AUTH_OPERATION_SCHEMAS,
      ],
    },
  ],
} as avro.Schema);

const membershipType = avro.Type.forSchema({
  type: 'record',
  name: 'MembershipChange',
  namespace: 'kvd',
  fields: [
    { name: 'type', type: { type: 'enum', name: 'MembershipChangeType', symbols: ['add', 'remove', 'update'] } },
    { name: 'id', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'peerURLs', type: { type: 'array', items: 'string' } },
    { name: 'origin', type: 'string' },
    { name: 'seq', type: 'long' },
  ],
});

type WireBody =
  | { Put: Record<string, unknown> }
  | { Post: Record<string, unknown> }
  | { Delete: Record<string, unknown> }
  | { Sync: Record<string, never> }
  | { Publish: Record<string, unknown> }
  | Record<string, Record<string, unknown>>;

/** The largest value avsc's long reads and writes (it refuses 2^53 - 1). */
const AVRO_LONG_MAX = 2n ** 53n - 2n;

function indexToWire(index: bigint | undefined): number | Buffer | null {
  if (index === undefined) return null;
  if (index <= AVRO_LONG_MAX) return Number(index);
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(index);
  return bytes;
}

function indexFromWire(w: unknown): bigint | undefined {
  if (w === null || w === undefined) return undefined;
  return typeof w === 'number' ? BigInt(w) : (w as Buffer).readBigUInt64BE(0);
}

function toWire(body: ProposalBody): WireBody {
  if (isAuthOperation(body)) return authOperationToWire(body);
  switch (body.op) {
    case 'put':
      return {
        Put: {
          path: body.path,
          value: body.value,
          dir: body.dir,
          ttl: body.ttl,
          refresh: body.refresh,
          prevValue: body.prevValue ?? null,
          prevIndex: indexToWire(body.prevIndex),
          prevExist: body.prevExist ?? null,
        },
      };
    case 'post':
      return { Post: { path: body.path, value: body.value, dir: body.dir, ttl: body.ttl } };
    case 'delete':
      return {
        Delete: {
          path: body.path,
          dir: body.dir,
          recursive: body.recursive,
          prevValue: body.prevValue ?? null,
          prevIndex: indexToWire(body.prevIndex),
        },
      };
    case 'sync':
      return { Sync: {} };
    case 'publish':
      return { Publish: { id: body.id, name: body.name, clientURLs: [...body.clientURLs] } };
  }
}

/** Copies only the conditions that were given: absent and null mean "not checked". */
function conditions(w: Record<string, unknown>): { prevValue?: string; prevIndex?: bigint; prevExist?: boolean } {
  const c: { prevValue?: string; prevIndex?: bigint; prevExist?: boolean } = {};
  if (w.prevValue !== null && w.prevValue !== undefined) c.prevValue = w.prevValue as string;
  const prevIndex = indexFromWire(w.prevIndex);
  if (prevIndex !== undefined) c.prevIndex = prevIndex;
  if (w.prevExist !== null && w.prevExist !== undefined) c.prevExist = w.prevExist as boolean;
  return c;
}

function fromWire(w: WireBody): ProposalBody {
  if ('Put' in w) {
    const p = w.Put;
    return {
      op: 'put',
      path: p.path as string,
      value: p.value as string,
      dir: p.dir as boolean,
      ttl: p.ttl as number | null,
      refresh: p.refresh as boolean,
      ...conditions(p),
    };
  }
  if ('Post' in w) {
    const p = w.Post;
    return {
      op: 'post',
      path: p.path as string,
      value: p.value as string,
      dir: p.dir as boolean,
      ttl: p.ttl as number | null,
    };
  }
  if ('Delete' in w) {
    const p = w.Delete;
    const { prevValue, prevIndex } = conditions(p);
    return {
      op: 'delete',
      path: p.path as string,
      dir: p.dir as boolean,
      recursive: p.recursive as boolean,
      ...(prevValue !== undefined ? { prevValue } : {}),
      ...(prevIndex !== undefined ? { prevIndex } : {}),
    };
  }
  if ('Sync' in w) return { op: 'sync' };
  const auth = authOperationFromWire(w);
  if (auth !== null) return auth;
  const p = w.Publish as Record<string, unknown>;
  return { op: 'publish', id: p.id as string, name: p.name as string, clientURLs: p.clientURLs as string[] };
}

export function encodeProposal(p: Proposal): Buffer {
  return proposalType.toBuffer({ origin: p.origin, seq: p.seq, time: p.time, body: toWire(p.body) });
}

export function decodeProposal(data: Buffer): Proposal {
  const w = proposalType.fromBuffer(data) as { origin: string; seq: number; time: number; body: WireBody };
  return { origin: w.origin, seq: w.seq, time: w.time, body: fromWire(w.body) };
}

export function encodeMembershipChange(c: MembershipChange): Buffer {
  return membershipType.toBuffer({ ...c, peerURLs: [...c.peerURLs] });
}

export function decodeMembershipChange(data: Buffer): MembershipChange {
  const w = membershipType.fromBuffer(data) as MembershipChange;
  return { type: w.type, id: w.id, name: w.name, peerURLs: w.peerURLs, origin: w.origin, seq: w.seq };
}

/** A request's conditions as JSON can show them (a prevIndex beyond 2^53 as its decimal text). */
function shownConditions(b: {
  prevValue?: string | undefined;
  prevIndex?: bigint | undefined;
  prevExist?: boolean | undefined;
}): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  if (b.prevValue !== undefined) shown.prevValue = b.prevValue;
  if (b.prevIndex !== undefined)
    shown.prevIndex = b.prevIndex <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b.prevIndex) : String(b.prevIndex);
  if (b.prevExist !== undefined) shown.prevExist = b.prevExist;
  return shown;
}

const MEMBER_ID = /^[0-9a-f]{1,16}$/;

function membershipProblem(c: MembershipChange): string | null {
  if (!MEMBER_ID.test(c.id)) return `member id ${JSON.stringify(c.id)} is not 1 to 16 hex digits`;
  if (c.type === 'remove') return null;
  if (c.peerURLs.length === 0) return 'no peer URLs';
  for (const u of c.peerURLs) {
    if (!URL.canParse(u) || !/^https?:$/.test(new URL(u).protocol))
      return `peer URL ${JSON.stringify(u)} is not an http(s) URL`;
  }
  return null;
}

/**
 * Why an entry's data could not be applied, or null when it can: raft's
 * checkProposal, so that nothing undecodable reaches the log. It decodes the
 * data exactly as applying it will.
 */
export function proposalProblem(p: { readonly type: EntryType; readonly data: Buffer }): string | null {
  try {
    if (p.type === 'confChange') return membershipProblem(decodeMembershipChange(p.data));
    if (p.type === 'normal') decodeProposal(p.data);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** For segdump: the fields an operator wants to see of an entry's data. */
export function describeProposal(data: Buffer, type: EntryType): Record<string, unknown> {
  if (type === 'empty') return {};
  if (type === 'confChange') {
    const c = decodeMembershipChange(data);
    return { method: `member-${c.type}`, id: c.id, name: c.name, peerURLs: c.peerURLs };
  }
  const p = decodeProposal(data);
  const b = p.body;
  const base = { time: new Date(p.time).toISOString(), origin: p.origin };
  if (isAuthOperation(b)) return { ...base, ...describeAuthOperation(b) };
  switch (b.op) {
    case 'put':
      return {
        ...base,
        method: 'PUT',
        path: b.path,
        value: b.value,
        dir: b.dir,
        ttl: b.ttl,
        refresh: b.refresh,
        ...shownConditions({ prevValue: b.prevValue, prevIndex: b.prevIndex, prevExist: b.prevExist }),
      };
    case 'post':
      return { ...base, method: 'POST', path: b.path, value: b.value, dir: b.dir, ttl: b.ttl };
    case 'delete':
      return {
        ...base,
        method: 'DELETE',
        path: b.path,
        dir: b.dir,
        recursive: b.recursive,
        ...shownConditions({ prevValue: b.prevValue, prevIndex: b.prevIndex }),
      };
    case 'sync':
      return { ...base, method: 'SYNC' };
    case 'publish':
      return { ...base, method: 'PUBLISH', id: b.id, name: b.name, clientURLs: b.clientURLs };
  }
}
