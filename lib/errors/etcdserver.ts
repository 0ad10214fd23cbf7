// etcd's server errors as its v2 API answers them (writeKeyError): code 300
// "Raft Internal Error", the Go error's text as the cause, HTTP 500. The
// named causes are the texts etcd gives; this file is the only place that
// builds a RaftInternal error.

import { ErrorCode, V2Error } from './v2.js';

/** A Raft Internal Error with `cause` as its text (index 0 unless the store's index is known). */
export const etcdServerError = (cause: string, index = 0): V2Error => new V2Error(ErrorCode.RaftInternal, cause, index);

/** etcdserver.ErrTimeout: the request's deadline passed before it was applied. */
export const requestTimedOut = (): V2Error => etcdServerError('etcdserver: request timed out');
/** etcdserver.ErrStopped: the member is stopping. */
export const serverStopped = (): V2Error => etcdServerError('etcdserver: server stopped');
/** etcdserver.ErrTooManyRequests: a queue of this member is full. */
export const tooManyRequests = (): V2Error => etcdServerError('etcdserver: too many requests');
/** etcdserver.ErrUnknownMethod: a request whose method the store does not know. */
export const unknownMethod = (index: number): V2Error => etcdServerError('etcdserver: unknown method', index);
/** Any other refusal of the member, worded `etcdserver: <reason>` as etcd does. */
export const etcdServerRefusal = (reason: string): V2Error => etcdServerError(`etcdserver: ${reason}`);
