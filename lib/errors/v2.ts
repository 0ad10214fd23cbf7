// The etcd v2 error registry: every error code a client can see, with etcd's
// message and the HTTP status etcd 3.4 answers it with. Every client-visible
// failure of the keys API is a V2Error built from this table.

/** One registered error: etcd's message and HTTP status. */
interface Registered {
  readonly code: number;
  readonly message: string;
  readonly status: number;
}

function registry<const T extends Record<string, Registered>>(table: T): T {
  return table;
}

/** The table (etcd's Documentation/v2/errorcode.md plus the codes etcd 3.4 answers beyond it). */
export const V2_ERRORS = registry({
  KeyNotFound: { code: 100, message: 'Key not found', status: 404 },
  TestFailed: { code: 101, message: 'Compare failed', status: 412 },
  NotFile: { code: 102, message: 'Not a file', status: 403 },
  NotDir: { code: 104, message: 'Not a directory', status: 400 },
  NodeExist: { code: 105, message: 'Key already exists', status: 412 },
  RootReadOnly: { code: 107, message: 'Root is read only', status: 400 },
  DirNotEmpty: { code: 108, message: 'Directory not empty', status: 403 },
  Unauthorized: { code: 110, message: 'The request requires user authentication', status: 401 },

  ValueRequired: { code: 200, message: 'Value is Required in POST form', status: 400 },
  PrevValueRequired: { code: 201, message: 'PrevValue is Required in POST form', status: 400 },
  TTLNaN: { code: 202, message: 'The given TTL in POST form is not a number', status: 400 },
  IndexNaN: { code: 203, message: 'The given index in POST form is not a number', status: 400 },
  ValueOrTTLRequired: { code: 204, message: 'Value or TTL is required in POST form', status: 400 },
  TimeoutNaN: { code: 205, message: 'The given timeout in POST form is not a number', status: 400 },
  NameRequired: { code: 206, message: 'Name is required in POST form', status: 400 },
  IndexOrValueRequired: { code: 207, message: 'Index or value is required', status: 400 },
  IndexValueMutex: { code: 208, message: 'Index and value cannot both be specified', status: 400 },
  InvalidField: { code: 209, message: 'Invalid field', status: 400 },
  InvalidForm: { code: 210, message: 'Invalid POST form', status: 400 },
  RefreshValue: { code: 211, message: 'Value provided on refresh', status: 400 },
  RefreshTTLRequired: { code: 212, message: 'A TTL must be provided on refresh', status: 400 },

  RaftInternal: { code: 300, message: 'Raft Internal Error', status: 500 },
  LeaderElect: { code: 301, message: 'During Leader Election', status: 500 },

  WatcherCleared: { code: 400, message: 'watcher is cleared due to etcd recovery', status: 400 },
  EventIndexCleared: { code: 401, message: 'The event in requested index is outdated and cleared', status: 400 },

  // kvd's own (lib/api/ETCD-NOTES.md): reads at a past index.
  IndexInFuture: { code: 450, message: 'The requested index is in the future', status: 400 },
  IndexCompacted: { code: 451, message: 'The requested index is older than the retained history', status: 400 },
});

type Name = keyof typeof V2_ERRORS;

/** The codes by name: ErrorCode.KeyNotFound is 100. */
export const ErrorCode = Object.fromEntries(Object.entries(V2_ERRORS).map(([name, e]) => [name, e.code])) as {
  readonly [N in Name]: (typeof V2_ERRORS)[N]['code'];
};

export type ErrorCodeNumber = (typeof V2_ERRORS)[Name]['code'];

const BY_CODE = new Map<number, Registered>(Object.values(V2_ERRORS).map((e) => [e.code, e]));

/** The registered entry of a code. */
export function registered(code: ErrorCodeNumber): Registered {
  const e = BY_CODE.get(code);
  if (e === undefined) throw new Error(`error code ${code} is not in the registry`);
  return e;
}

/** An etcd v2 error: serialises to etcd's JSON error body. */
export class V2Error extends Error {
  readonly errorCode: ErrorCodeNumber;
  override readonly cause: string;
  /** The store index when the error happened (etcd's "index"). */
  index: number;

  constructor(code: ErrorCodeNumber, cause: string, index: number) {
    super(registered(code).message);
    this.name = 'V2Error';
    this.errorCode = code;
    this.cause = cause;
    this.index = index;
  }

  /** The HTTP status etcd answers this error with. */
  get status(): number {
    return registered(this.errorCode).status;
  }

  toJSON(): { errorCode: number; message: string; cause: string; index: number } {
    return { errorCode: this.errorCode, message: this.message, cause: this.cause, index: this.index };
  }
}
