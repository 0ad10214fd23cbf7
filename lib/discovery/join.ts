// etcd's v2 discovery protocol, as a new member runs it: read the expected
// size from <url>/_config/size, register under <url>/<member id> with
// prevExist=false, wait (watching the token's directory) until `size`
// members have registered, and take the first `size` registrations, in the
// order they were created, as the initial cluster. Members past `size` are
// refused: "discovery: cluster is full".

import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import { DiscoveryError } from './errors.js';
import { DiscoveryService, ServiceUnavailable, type KeysAnswer, type KeysNode } from './service.js';

export interface DiscoveredMember {
  readonly name: string;
  readonly peerURLs: readonly string[];
}

export interface RetryPolicy {
  /** The first wait after a failed exchange; each next one doubles, up to maxDelayMs. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** Failed exchanges in a row after which discovery gives up. */
  readonly attempts: number;
}

/** About two minutes of tries: 1 + 2 + 4 + 8 + 16 + 30 + 30 + 30 s of waiting. */
export const DEFAULT_RETRY: RetryPolicy = { firstDelayMs: 1000, maxDelayMs: 30_000, attempts: 9 };

export interface JoinOptions {
  /** The discovery URL (without a trailing slash). */
  readonly url: string;
  readonly proxy?: string;
  readonly tls?: ConnectionOptions | null;
  /** This member's id (its registration key), name and advertised peer URLs. */
  readonly id: string;
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly logger: Logger;
  readonly retry?: RetryPolicy;
  /** How long one watch waits for a change before the state is read again. */
  readonly watchTimeoutMs?: number;
  /**
   * Whether a cluster already runs at these members' peer URLs; asked when
   * this member is refused as full, to say that the token was used up.
   */
  readonly probe?: (members: readonly DiscoveredMember[]) => Promise<string | null>;
  /** The --discovery-fallback asked for: kvd has no proxy mode, so 'proxy' only changes the message. */
  readonly fallback?: 'exit' | 'proxy';
}

const ERROR_KEY_NOT_FOUND = 100;
const ERROR_NODE_EXIST = 105;
const ERROR_EVENT_INDEX_CLEARED = 401;

/** The value a member registers: `name=peerURL,...`, sorted like etcd's URLsMap. */
export function registrationValue(name: string, peerURLs: readonly string[]): string {
  return peerURLs
    .map((u) => `${name}=${u}`)
    .sort()
    .join(',');
}

interface ClusterState {
  readonly size: number;
  /** Registrations by creation order. */
  readonly nodes: readonly KeysNode[];
  /** X-Etcd-Index of the listing: a watch from index + 1 misses nothing. */
  readonly index: number;
}

/** Runs the protocol; resolves with the initial cluster (this member included). Throws DiscoveryError. */
export async function joinCluster(opts: JoinOptions): Promise<DiscoveredMember[]> {
  const service = new DiscoveryService({ url: opts.url, proxy: opts.proxy, tls: opts.tls });
  try {
    return await new Join(service, opts).run();
  } finally {
    service.close();
  }
}

class Join {
  private readonly retry: RetryPolicy;
  private readonly selfKey: string;
  private readonly value: string;

  constructor(
    private readonly service: DiscoveryService,
    private readonly opts: JoinOptions,
  ) {
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.selfKey = `/${opts.id}`;
    this.value = registrationValue(opts.name, opts.peerURLs);
  }

  async run(): Promise<DiscoveredMember[]> {
    const log = this.opts.logger;
    // Fast path: a full cluster is refused before registering into it.
    await this.refuseIfFull(await this.checkCluster());
    await this.register();
    for (;;) {
      const state = await this.checkCluster();
      await this.refuseIfFull(state);
      if (state.nodes.length >= state.size) {
        const chosen = state.nodes.slice(0, state.size);
        log.info(
          { discovery: this.opts.url, members: chosen.map((n) => baseName(n.key)) },
          'found all needed members from the discovery service',
        );
        return toMembers(this.opts.url, chosen);
      }
      log.info(
        { discovery: this.opts.url, found: state.nodes.length, needed: state.size - state.nodes.length },
        'found members from the discovery service; waiting for more',
      );
      await this.waitForChange(state.index);
    }
  }

  private async checkCluster(): Promise<ClusterState> {
    const sizeAnswer = await this.withRetry('reading the cluster size', () => this.service.get('/_config/size'));
    if (!sizeAnswer.ok) {
      if (sizeAnswer.errorCode === ERROR_KEY_NOT_FOUND) {
        throw new DiscoveryError(
          'SIZE_NOT_FOUND',
          `discovery: size key not found: ${this.opts.url}/_config/size does not exist: create the token with the discovery service ` +
            `(GET <service>/new?size=3), or set it in an etcd/kvd keyspace: curl -X PUT ${this.opts.url}/_config/size -d value=3`,
        );
      }
      throw unexpected(this.opts.url, '/_config/size', sizeAnswer);
    }
    const text = sizeAnswer.node.value ?? '';
    if (!/^\d{1,9}$/.test(text.trim()) || Number(text) === 0) {
      throw new DiscoveryError(
        'BAD_SIZE',
        `discovery: size key is bad: ${this.opts.url}/_config/size holds ${JSON.stringify(text)}, not a cluster size: ` +
          `set a whole number of members, e.g. curl -X PUT ${this.opts.url}/_config/size -d value=3 (or make a new token)`,
      );
    }
    const listing = await this.withRetry('listing the registered members', () => this.service.get(''));
    if (!listing.ok) throw unexpected(this.opts.url, '', listing);
    const nodes = (listing.node.nodes ?? [])
      .filter((n) => n.dir !== true && !baseName(n.key).startsWith('_'))
      .sort((a, b) => a.createdIndex - b.createdIndex);
    return { size: Number(text), nodes, index: listing.index };
  }

  private async refuseIfFull(state: ClusterState): Promise<void> {
    const position = state.nodes.findIndex((n) => baseName(n.key) === this.opts.id);
    const full = position === -1 ? state.nodes.length >= state.size : position >= state.size;
    if (!full) return;
    const chosen = state.nodes.slice(0, state.size);
    let members: DiscoveredMember[] = [];
    try {
      members = toMembers(this.opts.url, chosen);
    } catch {
      // Unreadable registrations: the refusal stands without naming them.
    }
    const running = this.opts.probe && members.length > 0 ? await this.opts.probe(members) : null;
    const registered = `${state.size} member${state.size === 1 ? '' : 's'} (${members.map((m) => m.name).join(', ') || chosen.map((n) => baseName(n.key)).join(', ')}) registered at ${this.opts.url} first`;
    const fallback = this.opts.fallback === 'proxy' ? "; discovery-fallback is 'proxy', but kvd has no proxy mode" : '';
    const add =
      `add it to the running cluster instead: kvctl member add ${this.opts.name} ${this.opts.peerURLs[0] ?? '<peer URL>'}, ` +
      `then start it with initial-cluster listing the members and initial-cluster-state existing`;
    if (running !== null) {
      throw new DiscoveryError(
        'TOKEN_REUSED',
        `discovery: cluster is full: this discovery token already bootstrapped a running cluster (${running}); ${registered}${fallback}: ` +
          `${add}, or bootstrap a new cluster with a new discovery token`,
      );
    }
    throw new DiscoveryError(
      'FULL',
      `discovery: cluster is full: ${registered}${fallback}: to bootstrap a new cluster use a new discovery token (one token bootstraps one cluster); ` +
        `to grow the cluster, ${add}`,
    );
  }

  /** Creates <url>/<id>; a registration this member made before a restart is recognised and kept. */
  private async register(): Promise<void> {
    const log = this.opts.logger;
    const created = await this.withRetry('registering this member', () =>
      this.service.create(this.selfKey, this.value),
    );
    if (created.ok) {
      log.info(
        { discovery: this.opts.url, id: this.opts.id, value: this.value },
        'registered with the discovery service',
      );
      // The service may answer reads from a replica: wait until the one asked has the registration.
      await this.withRetry('waiting for the registration to be visible', () =>
        this.service.get(this.selfKey, { wait: 'true', waitIndex: String(created.node.createdIndex) }),
      );
      return;
    }
    if (created.errorCode !== ERROR_NODE_EXIST) throw unexpected(this.opts.url, this.selfKey, created);
    const existing = await this.withRetry("reading this member's registration", () => this.service.get(this.selfKey));
    if (existing.ok && existing.node.value === this.value) {
      log.info(
        { discovery: this.opts.url, id: this.opts.id },
        'this member registered before (it restarted before the cluster formed); going on',
      );
      return;
    }
    const held = existing.ok ? JSON.stringify(existing.node.value ?? '') : 'a key that cannot be read';
    throw new DiscoveryError(
      'DUPLICATE_ID',
      `discovery: found duplicate id: ${this.opts.url}/${this.opts.id} already holds ${held}, not this member's ${JSON.stringify(this.value)}: ` +
        'member ids come from the peer URLs and the discovery URL, so another member advertises the same peer URLs; ' +
        'give every member its own initial-advertise-peer-urls, or use a new discovery token',
    );
  }

  /** An https service that wants a client certificate hangs up on a member that has none, which looks like an outage. */
  private clientCertificateHint(): string {
    if (!this.opts.url.startsWith('https:') || this.opts.tls?.cert !== undefined) return '';
    return ' (an https service that requires client certificates hangs up on members without one: set cert-file and key-file, client-transport-security)';
  }

  /** Resolves once something under the token changed after `index` (or a while passed). */
  private async waitForChange(index: number): Promise<void> {
    const timeoutMs = this.opts.watchTimeoutMs ?? 60_000;
    try {
      const answer = await this.withRetry(
        'watching for more members',
        () => this.service.get('', { wait: 'true', recursive: 'true', waitIndex: String(index + 1) }, timeoutMs),
        true,
      );
      if (!answer.ok && answer.errorCode !== ERROR_EVENT_INDEX_CLEARED) throw unexpected(this.opts.url, '', answer);
    } catch (err) {
      if (!(err instanceof ServiceUnavailable && err.timedOut)) throw err;
    }
  }

  /**
   * Runs one exchange, waiting and trying again while the service is
   * unavailable; gives up after `attempts` failures in a row with the URL and
   * the last error. A timeout of a watch is passed on (it is not a failure).
   */
  private async withRetry<T>(what: string, exchange: () => Promise<T>, watch = false): Promise<T> {
    const started = Date.now();
    let delay = this.retry.firstDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await exchange();
      } catch (err) {
        if (!(err instanceof ServiceUnavailable)) throw err;
        if (watch && err.timedOut) throw err;
        if (attempt >= this.retry.attempts) {
          const seconds = Math.round((Date.now() - started) / 1000);
          throw new DiscoveryError(
            'UNREACHABLE',
            `discovery: cannot reach the discovery service at ${this.opts.url}${this.opts.proxy ? ` through proxy ${this.opts.proxy}` : ''} ` +
              `(${what}; ${attempt} attempts over ${seconds} s); last error: ${err.message}: ` +
              `check the URL and that the service (and its etcd) is up${this.clientCertificateHint()}, then start the member again`,
          );
        }
        this.opts.logger.warn(
          { discovery: this.opts.url, step: what, err: err.message, attempt, backoffMs: delay },
          'discovery service unavailable; retrying',
        );
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.retry.maxDelayMs);
      }
    }
  }
}

function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

function unexpected(url: string, path: string, answer: KeysAnswer & { ok: false }): DiscoveryError {
  return new DiscoveryError(
    'BAD_ENDPOINT',
    `discovery: unexpected answer from ${url}${path}: HTTP ${answer.status}, etcd error ${answer.errorCode} (${answer.message}): ` +
      'check that the discovery URL names a discovery token',
  );
}

/** The registrations as members: each value is name=peerURL,... with one name. */
function toMembers(url: string, nodes: readonly KeysNode[]): DiscoveredMember[] {
  const byName = new Map<string, string[]>();
  const seenURLs = new Set<string>();
  for (const n of nodes) {
    const value = n.value ?? '';
    const urls: string[] = [];
    let name: string | undefined;
    for (const pair of value.split(',')) {
      const eq = pair.indexOf('=');
      const peerURL = pair.slice(eq + 1).trim();
      if (eq <= 0 || !isPeerURL(peerURL) || (name !== undefined && name !== pair.slice(0, eq))) {
        throw new DiscoveryError(
          'INVALID_URL',
          `discovery: invalid URL: the registration ${url}/${baseName(n.key)} holds ${JSON.stringify(value)}, not name=peerURL,...: ` +
            'remove it from the discovery service, or use a new discovery token',
        );
      }
      name = pair.slice(0, eq);
      if (seenURLs.has(peerURL)) {
        throw new DiscoveryError(
          'INVALID_URL',
          `discovery: peer URL ${peerURL} is registered twice at ${url}: give every member its own initial-advertise-peer-urls and use a new discovery token`,
        );
      }
      seenURLs.add(peerURL);
      urls.push(peerURL);
    }
    if (byName.has(name!)) {
      throw new DiscoveryError(
        'DUPLICATE_NAME',
        `discovery: found duplicate name: two members registered as ${JSON.stringify(name)} at ${url}: ` +
          'give every member its own name and use a new discovery token',
      );
    }
    byName.set(name!, urls);
  }
  return [...byName].map(([name, peerURLs]) => ({ name, peerURLs }));
}

function isPeerURL(text: string): boolean {
  try {
    const u = new URL(text);
    return (
      (u.protocol === 'http:' || u.protocol === 'https:') &&
      u.hostname !== '' &&
      u.port !== '' &&
      (u.pathname === '/' || u.pathname === '')
    );
  } catch {
    return false;
  }
}
