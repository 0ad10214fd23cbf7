// Membership errors: etcd's membership texts and the HTTP status and body
// text its /v2/members answers each with.

export const MEMBERSHIP_ERRORS = {
  PEER_URL_EXISTS: {
    message: 'membership: peerURL exists',
    status: 409,
    clientText: (_id: string) => 'membership: peerURL exists',
  },
  ID_NOT_FOUND: {
    message: 'membership: ID not found',
    status: 404,
    clientText: (id: string) => `No such member: ${id}`,
  },
  ID_REMOVED: {
    message: 'membership: ID removed',
    status: 410,
    clientText: (id: string) => `Member permanently removed: ${id}`,
  },
} as const;

export type MembershipErrorCode = keyof typeof MEMBERSHIP_ERRORS;

/** A refused membership change; its message is etcd's membership error text. */
export class MembershipError extends Error {
  constructor(readonly code: MembershipErrorCode) {
    super(MEMBERSHIP_ERRORS[code].message);
    this.name = 'MembershipError';
  }

  /** The HTTP status /v2/members answers this refusal with. */
  get status(): number {
    return MEMBERSHIP_ERRORS[this.code].status;
  }

  /** The text of /v2/members' error body about member `id`. */
  clientText(id: string): string {
    return MEMBERSHIP_ERRORS[this.code].clientText(id);
  }
}
