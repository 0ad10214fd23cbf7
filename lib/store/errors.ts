// etcd v2 error codes (Documentation/v2/errorcode.md) with the HTTP status
// etcd 3.4 answers them with. Every client-visible failure is a V2Error.

export const ErrorCode = {
  KeyNotFound: 100,
  TestFailed: 101,
  NotFile: 102,
  NotDir: 104,
  NodeExist: 105,
  RootReadOnly: 107,
  DirNotEmpty: 108,
  Unauthorized: 110,

  ValueRequired: 200,
  PrevValueRequired: 201,
  TTLNaN: 202,
  IndexNaN: 203,
  ValueOrTTLRequired: 204,
  TimeoutNaN: 205,
  NameRequired: 206,
  IndexOrValueRequired: 207,
  IndexValueMutex: 208,
  InvalidField: 209,
  InvalidForm: 210,
  RefreshValue: 211,
  RefreshTTLRequired: 212,

  RaftInternal: 300,
  LeaderElect: 301,

  WatcherCleared: 400,
  EventIndexCleared: 401,

  // kvd's own (lib/api/ETCD-NOTES.md): reads at a past index.
  IndexInFuture: 450,
  IndexCompacted: 451,
} as const;

export type ErrorCodeNumber = (typeof ErrorCode)[keyof typeof ErrorCode];

const messages: Record<ErrorCodeNumber, string> = {
  100: 'Key not found',
  101: 'Compare failed',
  102: 'Not a file',
  104: 'Not a directory',
  105: 'Key already exists',
  107: 'Root is read only',
  108: 'Directory not empty',
  110: 'The request requires user authentication',
  200: 'Value is Required in POST form',
  201: 'PrevValue is Required in POST form',
  202: 'The given TTL in POST form is not a number',
  203: 'The given index in POST form is not a number',
  204: 'Value or TTL is required in POST form',
  205: 'The given timeout in POST form is not a number',
  206: 'Name is required in POST form',
  207: 'Index or value is required',
  208: 'Index and value cannot both be specified',
  209: 'Invalid field',
  210: 'Invalid POST form',
  211: 'Value provided on refresh',
  212: 'A TTL must be provided on refresh',
  300: 'Raft Internal Error',
  301: 'During Leader Election',
  400: 'watcher is cleared due to etcd recovery',
  401: 'The event in requested index is outdated and cleared',
  450: 'The requested index is in the future',
  451: 'The requested index is older than the retained history',
};

const statuses: Partial<Record<ErrorCodeNumber, number>> = {
  100: 404,
  101: 412,
  102: 403,
  105: 412,
  108: 403,
  110: 401,
  300: 500,
  301: 500,
};

/** An etcd v2 error: serialises to etcd's JSON error body. */
export class V2Error extends Error {
  readonly errorCode: ErrorCodeNumber;
  override readonly cause: string;
  /** The store index when the error happened (etcd's "index"). */
  index: number;

  constructor(code: ErrorCodeNumber, cause: string, index: number) {
    super(messages[code]);
    this.name = 'V2Error';
    this.errorCode = code;
    this.cause = cause;
    this.index = index;
  }

  /** The HTTP status etcd answers this error with. */
  get status(): number {
    return statuses[this.errorCode] ?? 400;
  }

  toJSON(): { errorCode: number; message: string; cause: string; index: number } {
    return { errorCode: this.errorCode, message: this.message, cause: this.cause, index: this.index };
  }
}
