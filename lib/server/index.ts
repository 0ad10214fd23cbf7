export { Member } from './member.js';
export { BootstrapError } from './bootstrap.js';
export type { MemberOptions, InitialMember } from './options.js';
export { MembershipError } from './service.js';
export type { KeysService, ClusterService, DashboardService, MemberInfo, ReadOptions, ResponseIndexes } from './service.js';
export { describeProposal } from './proposal.js';
