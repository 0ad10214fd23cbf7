// The store's errors are the v2 registry's (lib/errors).
export { ErrorCode, V2Error, type ErrorCodeNumber } from '../errors/index.js';
