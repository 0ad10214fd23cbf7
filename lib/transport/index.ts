// Peer-to-peer transport: raft messages between members over HTTP/2.
export { PeerTransport, DEFAULT_TUNING } from './transport.js';
export type { TransportOptions, TransportTuning, TransportStats } from './transport.js';
export type { PeerStatsReport, RttReport } from './stats.js';
export type { ServerTlsOptions } from './peer-server.js';
export type { BackoffOptions } from './backoff.js';
export { fetchPeerJSON, PeerRequestError } from './peer-request.js';
export type { PeerRequestOptions } from './peer-request.js';
export { FrameError, MESSAGE_SCHEMA } from './codec.js';
