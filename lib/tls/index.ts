export { TlsConfigError, type TlsErrorCode } from './errors.js';
export { CIPHERS, MIN_TLS_VERSION, loadClientTls, loadServerTls, type ServerTls, type TlsLoadOptions } from './load.js';
export type { TlsSide } from './material.js';
export { TlsReloader, type ReloadResult, type TlsReloaderOptions } from './reloader.js';
