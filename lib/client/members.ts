// The /v2/members API as etcd's Go client (client/v2 MembersAPI) uses it.

import type { CallOptions, ClusterClient } from './cluster.js';
import { MembersError, invalidJson } from './errors.js';
import type { HttpResponse } from './transport.js';
import { joinPath, requestTarget } from './url.js';

const membersPrefix = '/v2/members';

export interface Member {
  readonly id: string;
  /** "" for a member added but not yet started. */
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
}

/** An invalid peer URL, worded as etcd's types.NewURLs. */
export class PeerUrlError extends Error {
  override readonly name = 'PeerUrlError';
}

/** etcd's types.NewURLs: http(s)/unix(s) URLs of the form scheme://host:port without a path, sorted. */
export function validatePeerUrls(urls: readonly string[]): string[] {
  if (urls.length === 0) throw new PeerUrlError('no valid URLs given');
  const out = urls.map((raw) => {
    const u = raw.trim();
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(u);
    const scheme = m?.[1]?.toLowerCase();
    if (!m || (scheme !== 'http' && scheme !== 'https' && scheme !== 'unix' && scheme !== 'unixs')) {
      throw new PeerUrlError(`URL scheme must be http, https, unix, or unixs: ${u}`);
    }
    if (!/^(\[[^\]]*\]|[^:[\]]*):[^:]*$/.test(m[2]!))
      throw new PeerUrlError(`URL address does not have the form "host:port": ${u}`);
    if (m[3] !== '') throw new PeerUrlError(`URL must not contain a path: ${u}`);
    return u;
  });
  return out.sort();
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Go's encoding/json matches field names case-insensitively. */
function field(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  const k = Object.keys(o).find((x) => x.toLowerCase() === lower);
  return k === undefined ? undefined : o[k];
}

function toMember(v: unknown): Member {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  return {
    id: str(field(o, 'id')),
    name: str(field(o, 'name')),
    peerURLs: strings(field(o, 'peerURLs')),
    clientURLs: strings(field(o, 'clientURLs')),
  };
}

function parse(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch {
    throw invalidJson();
  }
}

function expectStatus(res: HttpResponse, ...want: number[]): void {
  if (!want.includes(res.status)) throw new MembersError(`unexpected status code ${res.status}`);
}

function refusal(res: HttpResponse): MembersError {
  const body = parse(res);
  const message =
    typeof body === 'object' && body !== null ? str(field(body as Record<string, unknown>, 'message')) : '';
  return new MembersError(message);
}

export class MembersApi {
  constructor(private readonly client: ClusterClient) {}

  async list(call: CallOptions = {}): Promise<Member[]> {
    const res = await this.client.do(
      (ep) => ({ method: 'GET', target: requestTarget(joinPath(ep.path, membersPrefix), ''), headers: {}, body: null }),
      call,
    );
    expectStatus(res, 200);
    const body = parse(res);
    const members =
      typeof body === 'object' && body !== null ? field(body as Record<string, unknown>, 'members') : undefined;
    return Array.isArray(members) ? members.map(toMember) : [];
  }

  async leader(call: CallOptions = {}): Promise<Member> {
    const res = await this.client.do(
      (ep) => ({
        method: 'GET',
        target: requestTarget(joinPath(ep.path, membersPrefix, 'leader'), ''),
        headers: {},
        body: null,
      }),
      call,
    );
    expectStatus(res, 200);
    return toMember(parse(res));
  }

  /** @throws PeerUrlError before sending anything when the URL is not a peer URL. */
  async add(peerURL: string, call: CallOptions = {}): Promise<Member> {
    const urls = validatePeerUrls([peerURL]);
    const body = JSON.stringify({ peerURLs: urls });
    const res = await this.client.do(
      (ep) => ({
        method: 'POST',
        target: requestTarget(joinPath(ep.path, membersPrefix), ''),
        headers: { 'content-type': 'application/json' },
        body,
      }),
      call,
    );
    expectStatus(res, 201, 409);
    if (res.status !== 201) throw refusal(res);
    return toMember(parse(res));
  }

  async update(id: string, peerURLs: readonly string[], call: CallOptions = {}): Promise<void> {
    const urls = validatePeerUrls(peerURLs);
    const body = JSON.stringify({ peerURLs: urls });
    const res = await this.client.do(
      (ep) => ({
        method: 'PUT',
        target: requestTarget(joinPath(ep.path, membersPrefix, id), ''),
        headers: { 'content-type': 'application/json' },
        body,
      }),
      call,
    );
    expectStatus(res, 204, 404, 409);
    if (res.status !== 204) throw refusal(res);
  }

  async remove(id: string, call: CallOptions = {}): Promise<void> {
    const res = await this.client.do(
      (ep) => ({
        method: 'DELETE',
        target: requestTarget(joinPath(ep.path, membersPrefix, id), ''),
        headers: {},
        body: null,
      }),
      call,
    );
    expectStatus(res, 204, 410);
  }
}
