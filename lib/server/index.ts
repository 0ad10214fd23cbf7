export { Member } from './member.js';
export { startMember } from './start.js';
export { BootstrapError } from './bootstrap.js';
export { EntryApplyError } from './errors.js';
export type { MemberOptions, InitialMember, InitialClusterSource } from './options.js';
export { MembershipError } from './service.js';
export type {
  KeysService,
  ClusterService,
  DashboardService,
  MemberInfo,
  ReadOptions,
  ResponseIndexes,
} from './service.js';
/** The TTL limit the api checks before a request reaches the member. */
export { MAX_TTL_SECONDS } from '../store/index.js';
