// Snapshot transfer on its own stream (POST /raft/snapshot), so a snapshot of
// hundreds of megabytes never sits in front of heartbeats on the message stream.
// Body: one frame holding the snapshot message with empty data, then the data
// bytes themselves (their count in the x-kvd-snapshot-bytes header), so the
// data is neither Avro-encoded into a second copy nor framed.

import type http2 from 'node:http2';
import type { Message } from '../raft/types.js';
import { decodeMessage, encodeFrame, FRAME_HEADER_BYTES, FrameError } from './codec.js';
import { HEADER_SNAPSHOT_BYTES, NGHTTP2_CANCEL, PATH_SNAPSHOT } from './protocol.js';

export type SnapshotMessage = Extract<Message, { type: 'snapshot' }>;

/** Data is written in slices of this size, each waiting for 'drain' when the stream is full. */
const CHUNK_BYTES = 1 << 20;
/** The header frame carries only metadata (the voters), never this much. */
const MAX_HEADER_FRAME_BYTES = 1 << 20;
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

/** Streams m to the peer of session, respecting back-pressure; done is called exactly once. */
export function sendSnapshot(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  m: SnapshotMessage,
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
  const pump = (): void => {
    while (!finished && !stream.destroyed && !refused() && offset < data.length) {
      const end = Math.min(offset + CHUNK_BYTES, data.length);
      const chunk = data.subarray(offset, end);
      offset = end;
      if (!stream.write(chunk)) {
        stream.once('drain', pump);
        return;
      }
    }
    if (!finished && !stream.destroyed && !refused()) stream.end();
  };
  stream.on('response', (h) => {
    status = Number(h[':status']);
    if (status !== 204) stream.setEncoding('utf8');
  });
  stream.on('data', (chunk: string | Buffer) => {
    if (reason.length < REASON_LIMIT) reason += String(chunk);
  });
  // A refusal can come before all data is written: stop there rather than send the rest for nothing.
  stream.on('end', () => {
    if (refused()) finish(false, reason.slice(0, REASON_LIMIT) || `status ${status}`);
  });
  stream.on('error', (err) => {
    if (reason === '') reason = err.message;
  });
  stream.on('close', () => {
    if (status === 204 && offset === data.length) finish(true, '');
    else finish(false, reason.slice(0, REASON_LIMIT) || (status === 0 ? 'stream closed before an answer' : `status ${status}`));
  });
  stream.write(header);
  pump();
  return stream;
}

export interface SnapshotRefusal {
  readonly status: number;
  readonly reason: string;
}

/**
 * Reads a snapshot stream whose header frame and data follow; declaredBytes
 * comes from the request header and was checked against the size limit.
 * The data buffer is allocated once at its final size: no copy per chunk beyond
 * the one out of the network buffer.
 */
export class SnapshotReceiver {
  private header: Buffer = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  private headerLen = 0;
  private headerNeed = 0;
  private message: SnapshotMessage | null = null;
  private data: Buffer | null = null;
  private filled = 0;

  constructor(private readonly declaredBytes: number) {}

  /** Throws FrameError when the body is malformed or longer than declared. */
  push(chunk: Buffer): void {
    let pos = 0;
    if (this.message === null) {
      pos = this.readHeader(chunk);
      if (pos < 0) return;
    }
    const rest = chunk.length - pos;
    if (rest === 0) return;
    if (this.filled + rest > this.declaredBytes) {
      throw new FrameError(`snapshot body exceeds the declared ${this.declaredBytes} bytes`);
    }
    chunk.copy(this.data!, this.filled, pos);
    this.filled += rest;
  }

  /** The complete snapshot message once the body has ended; throws FrameError when it is short. */
  finish(): SnapshotMessage {
    if (this.message === null) throw new FrameError('snapshot stream ended before its header frame');
    if (this.filled !== this.declaredBytes) {
      throw new FrameError(`snapshot body ended after ${this.filled} of ${this.declaredBytes} bytes`);
    }
    (this.message.snapshot as { data: Buffer }).data = this.data!;
    return this.message;
  }

  private readHeader(chunk: Buffer): number {
    let pos = 0;
    if (this.headerNeed === 0) {
      const take = Math.min(FRAME_HEADER_BYTES - this.headerLen, chunk.length);
      chunk.copy(this.header, this.headerLen, 0, take);
      this.headerLen += take;
      pos = take;
      if (this.headerLen < FRAME_HEADER_BYTES) return -1;
      const payload = this.header.readUInt32BE(0);
      if (payload === 0 || payload > MAX_HEADER_FRAME_BYTES) {
        throw new FrameError(`snapshot header frame of ${payload} bytes`);
      }
      this.headerNeed = FRAME_HEADER_BYTES + payload;
      const grown = Buffer.allocUnsafe(this.headerNeed);
      this.header.copy(grown, 0, 0, this.headerLen);
      this.header = grown;
    }
    const take = Math.min(this.headerNeed - this.headerLen, chunk.length - pos);
    chunk.copy(this.header, this.headerLen, pos, pos + take);
    this.headerLen += take;
    pos += take;
    if (this.headerLen < this.headerNeed) return -1;
    const m = decodeMessage(this.header, FRAME_HEADER_BYTES, this.headerNeed);
    if (m.type !== 'snapshot') throw new FrameError(`snapshot stream carries a ${m.type} message`);
    if (m.snapshot.data.length !== 0) throw new FrameError('snapshot header frame carries data');
    this.message = m;
    this.data = Buffer.allocUnsafe(this.declaredBytes);
    return pos;
  }
}
