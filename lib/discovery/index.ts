// How a new member learns the members of the cluster it bootstraps when
// initial-cluster does not list them: etcd's v2 discovery protocol against a
// discovery URL, or DNS SRV records.
export { DiscoveryError, type DiscoveryErrorCode } from './errors.js';
export {
  DEFAULT_RETRY,
  joinCluster,
  registrationValue,
  type DiscoveredMember,
  type JoinOptions,
  type RetryPolicy,
} from './join.js';
export { srvCluster, type SrvCluster, type SrvOptions } from './srv.js';
