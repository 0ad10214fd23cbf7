// What a log entry's data says (etcd's etcdserverpb requests): the operations
// table (key-tree requests, publish, auth changes) and membership changes,
// each described once, with the one Avro codec and description they give.
// The field kinds are exported for other records made of the same values
// (the auth state and the member list in snapshots).

export {
  isAuthOperation,
  membershipChange,
  OPERATIONS,
  role,
  type AuthOperation,
  type KvPermissions,
  type MembershipChange,
  type OperationName,
  type Proposal,
  type ProposalBody,
  type PublishRequest,
  type Role,
  type StoreOp,
  type StoreRequest,
} from './operations.js';
export {
  decodeMembershipChange,
  decodeProposal,
  describeProposal,
  encodeMembershipChange,
  encodeProposal,
  proposalProblem,
} from './codec.js';
export {
  arrayOf,
  boolean,
  long,
  nullable,
  optional,
  record,
  string,
  strings,
  type Fields,
  type Kind,
  type RecordKind,
  type Shape,
  type ValueOf,
} from './fields.js';
