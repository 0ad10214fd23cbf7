// /v2/members: list, leader, add, update, remove, with etcd's answers and
// its {"message": ...} error bodies. The ClusterService refuses a change with
// a MembershipError (peer URL in use: 409, unknown member: 404, removed: 410).

import type { Logger } from 'pino';
import { MembershipError, V2Error } from '../errors/index.js';
import type { ClusterService, KeysService, MemberInfo } from '../server/index.js';
import type { AuthGate } from './auth-gate.js';
import type { Exchange } from './exchange.js';
import { GoError } from './go-url.js';
import { httpErrorJson, memberJson, memberListJson, v2ErrorJson } from './json-out.js';
import { decodePeerURLs } from './member-request.js';
import { JSON_TYPE, reply, replyGoError, replyMethodNotAllowed } from './respond.js';

const MEMBER_METHODS = ['GET', 'POST', 'DELETE', 'PUT'] as const;
const MEMBER_METHOD_SET: ReadonlySet<string> = new Set(MEMBER_METHODS);

/** A request body larger than this is refused (Go reads it whole; a member request is tiny). */
const MAX_MEMBER_BODY_BYTES = 1 << 20;

const HEX_ID = /^[0-9a-fA-F]+$/;

/** etcd's types.IDFromString (hex, up to 64 bits), printed as etcd prints IDs; null if invalid. */
export function parseMemberId(s: string): string | null {
  if (!HEX_ID.test(s)) return null;
  const n = BigInt('0x' + s);
  return n > 0xffffffffffffffffn ? null : n.toString(16);
}

/** The leader's id as the member's self stats name it (etcd's leaderInfo.leader). */
function leaderId(cluster: ClusterService): string | null {
  const stats = cluster.selfStats() as { leaderInfo?: { leader?: unknown } } | null;
  const leader = stats?.leaderInfo?.leader;
  return typeof leader === 'string' && leader !== '' ? leader : null;
}

export class MembersHandler {
  constructor(
    private readonly keys: KeysService,
    private readonly cluster: ClusterService,
    private readonly logger: Logger,
    /** Member changes need root once auth is enabled; null: no auth. */
    private readonly gate: AuthGate | null = null,
  ) {}

  /** `rest` is the decoded path after "/v2/members". */
  async handle(ex: Exchange, rest: string): Promise<void> {
    if (!MEMBER_METHOD_SET.has(ex.method)) {
      replyMethodNotAllowed(ex, MEMBER_METHODS);
      return;
    }
    if (ex.method !== 'GET' && this.gate !== null && !(await this.rootAccess(ex, this.gate))) return;
    const clusterId = this.keys.indexes().clusterId;
    const sub = rest.startsWith('/') ? rest.slice(1) : rest;
    switch (ex.method) {
      case 'GET':
        this.get(ex, clusterId, sub);
        return;
      case 'POST': {
        const urls = await this.readPeerURLs(ex, clusterId);
        if (urls === null) return;
        let member: MemberInfo;
        try {
          member = await this.cluster.addMember(urls);
        } catch (err) {
          this.replyRefused(ex, clusterId, err, '', 'adding a member failed');
          return;
        }
        reply(ex, 201, ['Content-Type', JSON_TYPE, 'X-Etcd-Cluster-Id', clusterId], memberJson(member) + '\n');
        return;
      }
      case 'DELETE': {
        const id = this.memberId(ex, clusterId, sub);
        if (id === null) return;
        try {
          await this.cluster.removeMember(id);
        } catch (err) {
          this.replyRefused(ex, clusterId, err, id, 'removing a member failed');
          return;
        }
        reply(ex, 204, ['X-Etcd-Cluster-Id', clusterId], null);
        return;
      }
      case 'PUT': {
        const id = this.memberId(ex, clusterId, sub);
        if (id === null) return;
        const urls = await this.readPeerURLs(ex, clusterId);
        if (urls === null) return;
        try {
          await this.cluster.updateMember(id, urls);
        } catch (err) {
          this.replyRefused(ex, clusterId, err, id, 'updating a member failed');
          return;
        }
        reply(ex, 204, ['X-Etcd-Cluster-Id', clusterId], null);
        return;
      }
    }
  }

  /** etcd's hasWriteRootAccess for a change; false when an answer was already sent. */
  private async rootAccess(ex: Exchange, gate: AuthGate): Promise<boolean> {
    try {
      if ((await gate.rootAccess(ex)).ok) return true;
      reply(ex, 401, ['Content-Type', JSON_TYPE], httpErrorJson('Insufficient credentials'));
    } catch (err) {
      this.replyInternal(ex, this.keys.indexes().clusterId, err, 'checking root access failed');
    }
    return false;
  }

  private get(ex: Exchange, clusterId: string, sub: string): void {
    if (sub === '') {
      reply(
        ex,
        200,
        ['Content-Type', JSON_TYPE, 'X-Etcd-Cluster-Id', clusterId],
        memberListJson(this.cluster.members()),
      );
      return;
    }
    if (sub === 'leader') {
      const id = leaderId(this.cluster);
      const leader = id === null ? undefined : this.cluster.members().find((m) => m.id === id);
      if (leader === undefined) this.replyMessage(ex, clusterId, 503, 'During election');
      else reply(ex, 200, ['Content-Type', JSON_TYPE, 'X-Etcd-Cluster-Id', clusterId], memberJson(leader) + '\n');
      return;
    }
    this.replyMessage(ex, clusterId, 404, 'Not found');
  }

  /** etcd's getID: the member id in the path, or an answer already sent (null). */
  private memberId(ex: Exchange, clusterId: string, sub: string): string | null {
    if (sub === '') {
      replyGoError(ex, 405, 'Method Not Allowed', [], ['X-Etcd-Cluster-Id', clusterId]);
      return null;
    }
    const id = parseMemberId(sub);
    if (id === null) this.replyMessage(ex, clusterId, 404, `No such member: ${sub}`);
    return id;
  }

  /** etcd's unmarshalRequest for a member body; null when an answer was already sent. */
  private async readPeerURLs(ex: Exchange, clusterId: string): Promise<string[] | null> {
    let ctype = ex.header('content-type') ?? '';
    const semi = ctype.indexOf(';');
    if (semi >= 0) ctype = ctype.slice(0, semi).trim().toLowerCase();
    if (ctype !== JSON_TYPE) {
      this.replyMessage(ex, clusterId, 415, `Bad Content-Type ${ctype}, accept application/json`);
      return null;
    }
    let body: Buffer | 'too-large';
    try {
      body = await ex.readBody(MAX_MEMBER_BODY_BYTES);
    } catch {
      return null; // the client went away
    }
    if (body === 'too-large') {
      ex.closeConnection();
      this.replyMessage(ex, clusterId, 413, 'request body too large');
      return null;
    }
    const urls = decodePeerURLs(body);
    if (urls instanceof GoError) {
      this.logger.debug({ reason: urls.message }, 'bad member request');
      this.replyMessage(ex, clusterId, 400, urls.message);
      return null;
    }
    return urls;
  }

  private replyMessage(ex: Exchange, clusterId: string, status: number, message: string): void {
    reply(ex, status, ['Content-Type', JSON_TYPE, 'X-Etcd-Cluster-Id', clusterId], httpErrorJson(message));
  }

  /** A refused change as etcd words it; anything else goes to replyInternal. */
  private replyRefused(ex: Exchange, clusterId: string, err: unknown, id: string, what: string): void {
    if (err instanceof MembershipError) {
      this.replyMessage(ex, clusterId, err.status, err.clientText(id));
    } else {
      this.replyInternal(ex, clusterId, err, what);
    }
  }

  /** etcd's WriteError: a V2Error as it is, anything else as a bare 500. */
  private replyInternal(ex: Exchange, clusterId: string, err: unknown, what: string): void {
    this.logger.warn({ err }, what);
    if (err instanceof V2Error) {
      reply(
        ex,
        err.status,
        ['Content-Type', JSON_TYPE, 'X-Etcd-Cluster-Id', clusterId, 'X-Etcd-Index', String(err.index)],
        v2ErrorJson(err),
      );
      return;
    }
    this.replyMessage(ex, clusterId, 500, 'Internal Server Error');
  }
}
