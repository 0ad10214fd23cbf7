// /v2/keys: parse, hand the operation to the KeysService, answer as etcd does
// (201 for a creation, event JSON, X-Etcd-*/X-Raft-* headers), and serve
// long-poll and streaming watches.

import type { Logger } from 'pino';
import type { Identity } from '../auth/index.js';
import type { KeysService } from '../server/index.js';
import type { Event, WatchHandle, WatchOptions } from '../store/index.js';
import { ErrorCode, etcdServerError, V2Error } from '../errors/index.js';
import type { AuthGate } from './auth-gate.js';
import type { Exchange } from './exchange.js';
import { GetBodyCache } from './get-body-cache.js';
import { eventJson, v2ErrorJson } from './json-out.js';
import { KEY_METHODS, MAX_FORM_BYTES, parseKeyRequest, wantsFormBody, type KeyMethod } from './keys-request.js';
import { CORS_HEADERS, httpDate, JSON_TYPE, reply, replyMethodNotAllowed } from './respond.js';

const KEY_METHOD_SET: ReadonlySet<string> = new Set(KEY_METHODS);

/**
 * A streaming watch whose client reads slower than events arrive is ended
 * once this much is queued, as etcd drops a watcher whose channel overflows.
 */
const MAX_WATCH_BUFFER_BYTES = 8 << 20;

/** etcd's defaultWatchTimeout: a long poll ends (empty 200) after five minutes. */
export const DEFAULT_WATCH_TIMEOUT_MS = 5 * 60 * 1000;

/** Open watches, so that the server can end them when it closes. */
export type WatchRegistry = Set<{ end(): void }>;

function isCreated(ev: Event): boolean {
  return ev.action === 'create' || (ev.action === 'set' && ev.prevNode === undefined);
}

export class KeysHandler {
  private readonly bodies = new GetBodyCache();

  constructor(
    private readonly keys: KeysService,
    private readonly logger: Logger,
    private readonly watches: WatchRegistry,
    private readonly watchTimeoutMs: number,
    /** Checks every request's permissions on its key; null: no auth. */
    private readonly gate: AuthGate | null = null,
  ) {}

  async handle(ex: Exchange, keyPath: string, rawQuery: string): Promise<void> {
    if (!KEY_METHOD_SET.has(ex.method)) {
      replyMethodNotAllowed(ex, KEY_METHODS);
      return;
    }
    const method = ex.method as KeyMethod;
    const contentType = ex.header('content-type');
    let body: Buffer | 'too-large' | null = null;
    if (wantsFormBody(method, contentType)) {
      try {
        body = await ex.readBody(MAX_FORM_BYTES);
      } catch {
        return; // the client went away while sending its body
      }
      if (body === 'too-large') ex.closeConnection();
    }
    const op = parseKeyRequest({ method, keyPath, rawQuery, contentType, body });
    if (op instanceof V2Error) {
      this.logger.debug({ method, keyPath, code: op.errorCode, cause: op.cause }, 'bad keys request');
      this.replyError(ex, op);
      return;
    }
    let who: Identity | null = null;
    if (this.gate !== null) {
      const recursive = op.kind === 'write' ? op.recursive : op.options.recursive;
      try {
        const access = await this.gate.keyAccess(ex, keyPath, recursive);
        if (!access.ok) {
          this.replyError(ex, new V2Error(ErrorCode.Unauthorized, 'Insufficient credentials', 0));
          return;
        }
        who = access.who;
      } catch (err) {
        this.replyFailure(ex, err);
        return;
      }
    }
    switch (op.kind) {
      case 'read':
        try {
          const { options } = op;
          // A plain local read answers in this turn; only quorum and atIndex reads wait.
          const ev =
            options.quorum || options.atIndex !== undefined
              ? await this.keys.read(op.path, options)
              : this.keys.readNow(op.path, options.recursive, options.sorted);
          this.replyEvent(ex, ev, this.bodies.body(ev));
        } catch (err) {
          this.replyFailure(ex, err);
        }
        return;
      case 'write':
        try {
          const ev = await this.keys.write(op.request);
          this.replyEvent(ex, ev, eventJson(ev, op.noValueOnSuccess));
        } catch (err) {
          this.replyFailure(ex, err);
        }
        return;
      case 'watch':
        this.watch(ex, op.path, op.options, who);
        return;
    }
  }

  private replyEvent(ex: Exchange, ev: Event, body: string): void {
    const idx = this.keys.indexes();
    reply(
      ex,
      isCreated(ev) ? 201 : 200,
      [
        'Content-Type',
        JSON_TYPE,
        'X-Etcd-Cluster-Id',
        idx.clusterId,
        'X-Etcd-Index',
        String(ev.etcdIndex),
        'X-Raft-Index',
        String(idx.raftIndex),
        'X-Raft-Term',
        String(idx.raftTerm),
      ],
      body,
    );
  }

  private replyError(ex: Exchange, err: V2Error): void {
    const clusterId = this.keys.indexes().clusterId;
    reply(
      ex,
      err.status,
      ['Content-Type', JSON_TYPE, 'X-Etcd-Cluster-Id', clusterId, 'X-Etcd-Index', String(err.index)],
      v2ErrorJson(err),
    );
  }

  /** A rejection from the service: a V2Error as it is, anything else as etcd's 300 "Raft Internal Error". */
  private replyFailure(ex: Exchange, err: unknown): void {
    if (err instanceof V2Error) {
      this.replyError(ex, err);
      return;
    }
    const cause = err instanceof Error ? err.message : String(err);
    this.logger.warn({ err }, 'keys request failed');
    this.replyError(ex, etcdServerError(cause));
  }

  /**
   * Headers go out at once (X-Etcd-Index is the index when the watch began),
   * then one event per line. A long poll ends after its first event.
   */
  private watch(ex: Exchange, path: string, options: WatchOptions, who: Identity | null): void {
    let started = false;
    let ended = false;
    const early: string[] = [];
    let handle: WatchHandle | undefined;
    let timer: NodeJS.Timeout | undefined;
    const entry = {
      end: (): void => {
        if (ended) return;
        ended = true;
        handle?.cancel();
        if (timer !== undefined) clearTimeout(timer);
        this.watches.delete(entry);
        ex.end();
      },
    };
    const deliver = (line: string): void => {
      ex.write(line);
      if (!options.stream || ex.buffered > MAX_WATCH_BUFFER_BYTES) entry.end();
    };
    try {
      handle = this.keys.watch(
        path,
        options,
        (ev) => {
          if (ended) return;
          // Permissions may change while a watch is open: an event goes out only if its key is readable now.
          if (who !== null && this.gate !== null && !this.gate.mayRead(who, ev.node.key)) return;
          const line = eventJson(ev);
          if (started) deliver(line);
          else early.push(line);
        },
        () => entry.end(),
      );
    } catch (err) {
      this.replyFailure(ex, err);
      return;
    }
    const idx = this.keys.indexes();
    ex.startStream(200, [
      ...CORS_HEADERS,
      'Content-Type',
      JSON_TYPE,
      'X-Etcd-Cluster-Id',
      idx.clusterId,
      'X-Etcd-Index',
      String(idx.etcdIndex),
      'X-Raft-Index',
      String(idx.raftIndex),
      'X-Raft-Term',
      String(idx.raftTerm),
      'Date',
      httpDate(),
    ]);
    started = true;
    this.watches.add(entry);
    ex.onAbort(entry.end);
    if (ex.done) {
      entry.end(); // the client left before the headers went out
      return;
    }
    timer = setTimeout(entry.end, this.watchTimeoutMs);
    timer.unref();
    for (const line of early) {
      if (ended) break;
      deliver(line);
    }
  }
}
