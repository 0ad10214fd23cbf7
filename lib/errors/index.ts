// One error registry for api, server and store: etcd's v2 error codes, the
// named `etcdserver: ...` causes, and the membership errors.

export { ErrorCode, V2_ERRORS, V2Error, registered, type ErrorCodeNumber } from './v2.js';
export {
  etcdServerError,
  etcdServerRefusal,
  requestTimedOut,
  serverStopped,
  tooManyRequests,
  unknownMethod,
} from './etcdserver.js';
export { MEMBERSHIP_ERRORS, MembershipError, type MembershipErrorCode } from './membership.js';
