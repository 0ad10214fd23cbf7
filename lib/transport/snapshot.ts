// Sending a snapshot on its own stream (POST /raft/snapshot), so a snapshot of
// hundreds of megabytes never sits in front of heartbeats on the message stream.
// Body: one frame holding the snapshot message with empty data, then the data
// bytes themselves (their count in the x-kvd-snapshot-bytes header), so the
// data is neither Avro-encoded into a second copy nor framed. The receiving
// end is snapshot-receiver.ts.

import type http2 from 'node:http2';
import type pino from 'pino';
import type { Message } from '../wire/index.js';
import { encodeFrame } from './codec.js';
import { contained } from './contain.js';
import { HEADER_SNAPSHOT_BYTES, NGHTTP2_CANCEL, PATH_SNAPSHOT } from './protocol.js';

export type SnapshotMessage = Extract<Message, { type: 'snapshot' }>;

/** Data is written in slices of this size, each waiting for 'drain' when the stream is full. */
const CHUNK_BYTES = 1 << 20;
const EMPTY = Buffer.alloc(0);
const REASON_LIMIT = 512;

export interface SnapshotOutcome {
  readonly ok: boolean;
  /** HTTP status of the receiver's answer, 0 if none came. */
  readonly status: number;
  /** Receiver's reason on refusal, or what went wrong locally. */
  readonly reason: string;
  readonly bytes: number;
}

/**
 * Streams m to the peer of session, respecting back-pressure; done is called
 * exactly once (not at all when this throws: the session is closing).
 */
export function sendSnapshot(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  m: SnapshotMessage,
  log: pino.Logger,
  done: (outcome: SnapshotOutcome) => void,
): http2.ClientHttp2Stream {
  const data = m.snapshot.data;
  const header = encodeFrame({ ...m, snapshot: { meta: m.snapshot.meta, data: EMPTY } });
  const stream = session.request(
    { ...headers, ':method': 'POST', ':path': PATH_SNAPSHOT, [HEADER_SNAPSHOT_BYTES]: String(data.length) },
    { endStream: false },
  );
  let status = 0;
  let reason = '';
  let offset = 0;
  let finished = false;
  const finish = (ok: boolean, why: string): void => {
    if (finished) return;
    finished = true;
    if (!ok && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
    done({ ok, status, reason: why, bytes: header.length + offset });
  };
  const refused = (): boolean => status !== 0 && status !== 204;
  const guard = <A extends unknown[]>(what: string, fn: (...args: A) => void) =>
    contained(
      log,
      what,
      () => {
        stream.destroy();
        finish(false, `${what} failed`);
      },
      fn,
    );
  const pump = (): void => {
    while (!finished && !stream.destroyed && !refused() && offset < data.length) {
      const end = Math.min(offset + CHUNK_BYTES, data.length);
      const chunk = data.subarray(offset, end);
      offset = end;
      if (!stream.write(chunk)) {
        stream.once('drain', guard('drain', pump));
        return;
      }
    }
    if (!finished && !stream.destroyed && !refused()) stream.end();
  };
  stream.on(
    'response',
    guard('response', (h: http2.IncomingHttpHeaders) => {
      status = Number(h[':status']);
      if (status !== 204) stream.setEncoding('utf8');
    }),
  );
  stream.on(
    'data',
    guard('data', (chunk: string | Buffer) => {
      if (reason.length < REASON_LIMIT) reason += String(chunk);
    }),
  );
  // A refusal can come before all data is written: stop there rather than send the rest for nothing.
  stream.on(
    'end',
    guard('end', () => {
      if (refused()) finish(false, reason.slice(0, REASON_LIMIT) || `status ${status}`);
    }),
  );
  stream.on(
    'error',
    guard('error', (err: Error) => {
      if (reason === '') reason = err.message;
    }),
  );
  stream.on(
    'close',
    guard('close', () => {
      if (status === 204 && offset === data.length) finish(true, '');
      else
        finish(
          false,
          reason.slice(0, REASON_LIMIT) || (status === 0 ? 'stream closed before an answer' : `status ${status}`),
        );
    }),
  );
  stream.write(header);
  pump();
  return stream;
}
