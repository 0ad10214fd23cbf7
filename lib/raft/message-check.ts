import { MAX_WIRE_INTEGER, NO_MEMBER } from './types.js';
import type { MemberId, Message } from './types.js';

/** A term, index or count: an integer from 0 up to what the codecs can encode. */
export const isCount = (n: unknown): n is number =>
  Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= MAX_WIRE_INTEGER;

/** Read contexts are short ids (ours are at most 20 characters); a long one is not worth keeping. */
const MAX_CTX_LENGTH = 64;
const isCtx = (s: unknown): s is string => typeof s === 'string' && s.length <= MAX_CTX_LENGTH;

/** Why a field is no count, or null. Field by field: this runs for every message, so no object of fields to walk. */
const count = (name: string, v: unknown): string | null => (isCount(v) ? null : `${name} ${String(v)} out of range`);

/**
 * Checks the fields raft relies on in a message addressed to `self`. Returns
 * why the message must be dropped, or null when it is well formed.
 */
export function messageProblem(m: Message, self: MemberId): string | null {
  if (typeof m !== 'object' || m === null) return 'not a message';
  if (m.to !== self) return `addressed to ${String(m.to)}`;
  if (typeof m.from !== 'string' || m.from === NO_MEMBER || m.from === self) return `bad sender ${String(m.from)}`;
  if (!isCount(m.term)) return `term ${String(m.term)} out of range`;
  const needsTerm = m.term === 0 ? `${m.type} without a term` : null;
  switch (m.type) {
    case 'preVote':
    case 'vote':
      return needsTerm ?? count('lastIndex', m.lastIndex) ?? count('lastTerm', m.lastTerm);
    case 'preVoteResp':
    case 'voteResp':
    case 'timeoutNow':
      return needsTerm;
    case 'append': {
      const bad =
        needsTerm ?? count('prevIndex', m.prevIndex) ?? count('prevTerm', m.prevTerm) ?? count('commit', m.commit);
      if (bad !== null) return bad;
      if (!Array.isArray(m.entries)) return 'entries is not a list';
      let prevTerm = m.prevTerm;
      for (let k = 0; k < m.entries.length; k++) {
        const e = m.entries[k];
        if (e?.index !== m.prevIndex + 1 + k)
          return `entry ${k} has index ${String(e?.index)}, expected ${m.prevIndex + 1 + k}`;
        if (!isCount(e.index) || !isCount(e.term) || e.term < prevTerm || e.term > m.term)
          return `entry ${e.index} has term ${String(e.term)}`;
        if (!Buffer.isBuffer(e.data)) return `entry ${e.index} has no data`;
        prevTerm = e.term;
      }
      return null;
    }
    case 'appendResp':
      return needsTerm ?? count('index', m.index) ?? count('rejectHint', m.rejectHint) ?? count('hintTerm', m.hintTerm);
    case 'heartbeat':
      return needsTerm ?? count('commit', m.commit) ?? (isCtx(m.ctx) ? null : 'bad ctx');
    case 'heartbeatResp':
      return needsTerm ?? (isCtx(m.ctx) ? null : 'bad ctx');
    case 'snapshot': {
      const s = m.snapshot;
      if (needsTerm !== null) return needsTerm;
      if (typeof s !== 'object' || s === null || typeof s.meta !== 'object' || s.meta === null) return 'no snapshot';
      const bad = count('snapshot index', s.meta.index) ?? count('snapshot term', s.meta.term);
      if (bad !== null) return bad;
      if (!Array.isArray(s.meta.conf?.voters) || !s.meta.conf.voters.every((v) => typeof v === 'string'))
        return 'bad snapshot voters';
      return Buffer.isBuffer(s.data) ? null : 'no snapshot data';
    }
    case 'snapshotStatus':
      return needsTerm ?? count('index', m.index);
    case 'propose':
      if (!Array.isArray(m.entries)) return 'entries is not a list';
      for (const e of m.entries) {
        if (
          typeof e !== 'object' ||
          e === null ||
          (e.type !== 'normal' && e.type !== 'confChange') ||
          !Buffer.isBuffer(e.data)
        ) {
          return 'a proposal that is neither a normal entry nor a conf change';
        }
      }
      return null;
    case 'readIndex':
      return isCtx(m.ctx) ? null : 'bad ctx';
    case 'readIndexResp':
      return needsTerm ?? count('index', m.index) ?? (isCtx(m.ctx) ? null : 'bad ctx');
    default:
      return `unknown message type ${String((m as { type?: unknown }).type)}`;
  }
}
