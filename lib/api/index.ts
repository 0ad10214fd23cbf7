// The client HTTP API, wire-compatible with etcd 3.4's v2 API.

export { ClientApi, type ClientApiOptions, type ClientTlsOptions } from './client-api.js';
export type { MetricsPage, MetricsSource, VersionInfo } from './info-handlers.js';
