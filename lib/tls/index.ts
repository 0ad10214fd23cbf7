export { TlsConfigError, type TlsErrorCode } from './errors.js';
export {
  presentedCertificate,
  remoteAddress,
  TlsGate,
  type ListenerTlsOptions,
  type PresentedCertificate,
} from './gate.js';
export {
  CIPHERS,
  dialTlsOf,
  loadClientTls,
  loadServerTls,
  MIN_TLS_VERSION,
  type PemSecureContext,
  type ServerTls,
  type TlsLoadOptions,
} from './load.js';
export type { TlsSide } from './material.js';
export { RefusalLog, type RefusalLogOptions } from './refusal-log.js';
export { TlsReloader, type ReloadResult, type ReloadTrigger, type TlsReloaderOptions } from './reloader.js';
