import { NO_MEMBER } from './types.js';
import type { MemberId, Message } from './types.js';

export const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Checks the fields raft relies on in a message addressed to `self`; anything else from the wire is dropped. */
export function isWellFormed(m: Message, self: MemberId): boolean {
  if (typeof m !== 'object' || m === null) return false;
  if (m.to !== self || typeof m.from !== 'string' || m.from === NO_MEMBER || m.from === self) return false;
  if (!isCount(m.term)) return false;
  switch (m.type) {
    case 'preVote':
    case 'vote':
      return m.term > 0 && isCount(m.lastIndex) && isCount(m.lastTerm);
    case 'preVoteResp':
    case 'voteResp':
    case 'timeoutNow':
      return m.term > 0;
    case 'append': {
      if (m.term === 0 || !isCount(m.prevIndex) || !isCount(m.prevTerm) || !isCount(m.commit)) return false;
      if (!Array.isArray(m.entries)) return false;
      let prevTerm = m.prevTerm;
      for (let k = 0; k < m.entries.length; k++) {
        const e = m.entries[k];
        if (e?.index !== m.prevIndex + 1 + k || !isCount(e.term) || e.term < prevTerm || e.term > m.term) return false;
        if (!Buffer.isBuffer(e.data)) return false;
        prevTerm = e.term;
      }
      return true;
    }
    case 'appendResp':
      return m.term > 0 && isCount(m.index) && isCount(m.rejectHint) && isCount(m.hintTerm);
    case 'heartbeat':
      return m.term > 0 && isCount(m.commit) && typeof m.ctx === 'string';
    case 'heartbeatResp':
      return m.term > 0 && typeof m.ctx === 'string';
    case 'snapshot': {
      const s = m.snapshot;
      return (
        m.term > 0 &&
        typeof s === 'object' &&
        s !== null &&
        isCount(s.meta?.index) &&
        isCount(s.meta.term) &&
        Array.isArray(s.meta.conf?.voters) &&
        Buffer.isBuffer(s.data)
      );
    }
    case 'snapshotStatus':
      return m.term > 0 && isCount(m.index);
    case 'propose':
      return Array.isArray(m.entries) && m.entries.every((e) => typeof e === 'object' && e !== null);
    case 'readIndex':
      return typeof m.ctx === 'string';
    case 'readIndexResp':
      return m.term > 0 && typeof m.ctx === 'string' && isCount(m.index);
    default:
      return false;
  }
}
