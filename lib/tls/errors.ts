export type TlsErrorCode =
  | 'NOT_CONFIGURED'
  | 'FILE_MISSING'
  | 'FILE_UNREADABLE'
  | 'CERT_INVALID'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'KEY_INVALID'
  | 'KEY_MISMATCH'
  | 'CERT_REFUSED'
  | 'CA_INVALID'
  | 'AUTO_TLS_FAILED';

/** TLS material kvd refuses to serve with; `file` names the offending file when there is one. */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';

  constructor(
    readonly code: TlsErrorCode,
    readonly file: string | undefined,
    message: string,
  ) {
    super(message);
  }
}
