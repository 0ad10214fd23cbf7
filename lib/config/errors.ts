export type ConfigErrorCode =
  | 'UNKNOWN_KEY'
  | 'UNSUPPORTED_KEY'
  | 'UNEXPECTED_ARGUMENT'
  | 'MISSING_VALUE'
  | 'INVALID_URL'
  | 'INVALID_NUMBER'
  | 'INVALID_BOOL'
  | 'INVALID_ENUM'
  | 'INVALID_VALUE'
  | 'INVALID_CLUSTER'
  | 'CONFLICT'
  | 'FILE_UNREADABLE'
  | 'FILE_INVALID';

/**
 * A configuration kvd refuses to start with. `key` is the etcd key (flag name,
 * e.g. `peer-cert-file`; a YAML path for unknown file keys); the message names
 * the key, the value and where it came from, and says how to fix it.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly code: ConfigErrorCode,
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}
