// A log entry's data, encoded, decoded, checked and described, all through
// the operations table.

import type { EntryType } from '../wire/index.js';
import { membershipChange, proposal, proposalBody, type MembershipChange, type Proposal } from './operations.js';

export function encodeProposal(p: Proposal): Buffer {
  return proposal.type.toBuffer(proposal.toWire(p));
}

export function decodeProposal(data: Buffer): Proposal {
  return proposal.fromWire(proposal.type.fromBuffer(data));
}

export function encodeMembershipChange(c: MembershipChange): Buffer {
  return membershipChange.type.toBuffer(membershipChange.toWire(c));
}

export function decodeMembershipChange(data: Buffer): MembershipChange {
  return membershipChange.fromWire(membershipChange.type.fromBuffer(data));
}

const MEMBER_ID = /^[0-9a-f]{1,16}$/;

function membershipProblem(c: MembershipChange): string | null {
  if (!MEMBER_ID.test(c.id)) return `member id ${JSON.stringify(c.id)} is not 1 to 16 hex digits`;
  if (c.type === 'remove') return null;
  if (c.peerURLs.length === 0) return 'no peer URLs';
  for (const u of c.peerURLs) {
    if (!URL.canParse(u) || !/^https?:$/.test(new URL(u).protocol))
      return `peer URL ${JSON.stringify(u)} is not an http(s) URL`;
  }
  return null;
}

/**
 * Why an entry's data could not be applied, or null when it can: raft's
 * checkProposal, so that nothing undecodable reaches the log. It decodes the
 * data exactly as applying it will.
 */
export function proposalProblem(p: { readonly type: EntryType; readonly data: Buffer }): string | null {
  try {
    if (p.type === 'confChange') return membershipProblem(decodeMembershipChange(p.data));
    if (p.type === 'normal') decodeProposal(p.data);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** For segdump: the fields an operator wants to see of an entry's data (never a password hash). */
export function describeProposal(data: Buffer, type: EntryType): Record<string, unknown> {
  if (type === 'empty') return {};
  if (type === 'confChange') {
    const c = decodeMembershipChange(data);
    return { method: `member-${c.type}`, id: c.id, name: c.name, peerURLs: c.peerURLs };
  }
  const p = decodeProposal(data);
  return {
    time: new Date(p.time).toISOString(),
    origin: p.origin,
    ...(proposalBody.show(p.body) as Record<string, unknown>),
  };
}
