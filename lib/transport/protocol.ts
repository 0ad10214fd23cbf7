// Names and HTTP/2 settings shared by both ends of a peer connection.

import http2 from 'node:http2';

export const PATH_STREAM = '/raft/stream';
export const PATH_SNAPSHOT = '/raft/snapshot';
export const PATH_MEMBERS = '/members';
export const PATH_VERSION = '/version';
/** GETs under it answer the dashboard of a member serving it on its client port. */
export const PATH_DASHBOARD_PREFIX = '/dashboard/';
/** GET /hash?index=N...: the store's hash at an index, for the leader's replica hash check. */
export const PATH_HASH = '/hash';

export const HEADER_CLUSTER = 'x-kvd-cluster-id';
export const HEADER_FROM = 'x-kvd-from';
export const HEADER_TO = 'x-kvd-to';
/** Byte length of the snapshot data that follows the snapshot stream's header frame. */
export const HEADER_SNAPSHOT_BYTES = 'x-kvd-snapshot-bytes';

const MiB = 1 << 20;

export interface WindowSizes {
  /** Per-stream receive window (the SETTINGS initialWindowSize we announce). */
  readonly streamWindowBytes: number;
  /** Per-session receive window. */
  readonly sessionWindowBytes: number;
}

export const DEFAULT_WINDOWS: WindowSizes = { streamWindowBytes: 16 * MiB, sessionWindowBytes: 32 * MiB };

/** Session options for both ends: large windows so a pipeline of appends never waits on WINDOW_UPDATE. */
export function sessionOptions(w: WindowSizes): http2.SessionOptions {
  return {
    // A peer needs one message stream plus the odd snapshot stream; nothing needs hundreds.
    settings: {
      initialWindowSize: w.streamWindowBytes,
      maxFrameSize: 64 * 1024,
      maxConcurrentStreams: 32,
      enablePush: false,
    },
    // Node counts unacknowledged and buffered bytes against this budget (in MiB)
    // and refuses new streams beyond it; the windows above must fit inside.
    maxSessionMemory: Math.ceil((2 * w.sessionWindowBytes) / MiB) + 16,
  };
}

export const NGHTTP2_CANCEL = http2.constants.NGHTTP2_CANCEL;
export const NGHTTP2_NO_ERROR = http2.constants.NGHTTP2_NO_ERROR;
export const NGHTTP2_PROTOCOL_ERROR = http2.constants.NGHTTP2_PROTOCOL_ERROR;
