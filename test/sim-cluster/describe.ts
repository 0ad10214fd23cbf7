// One-line descriptions of raft messages and entries for the trace a failing
// seed prints.

import type { Entry, Message } from '../../lib/raft/types.js';
import { describeProposal } from '../../lib/proposal/index.js';

const short = (id: string): string => (id === '' ? '-' : id.slice(-4));

export function describeEntry(e: Entry): string {
  if (e.type === 'empty') return `${e.index}/${e.term} empty`;
  let what: string;
  try {
    const d = describeProposal(e.data, e.type);
    what = [
      d.method,
      d.path ?? d.id,
      d.value,
      d.prevValue === undefined ? undefined : `if=${String(d.prevValue)}`,
      d.origin ? `from ${short(String(d.origin))}` : undefined,
    ]
      .filter((x) => x !== undefined)
      .map(String)
      .join(' ');
  } catch {
    what = `${e.data.length} bytes (undecodable)`;
  }
  return `${e.index}/${e.term} ${what}`;
}

export function describeMessage(m: Message): string {
  const head = `${m.type} ${short(m.from)}→${short(m.to)} t${m.term}`;
  switch (m.type) {
    case 'append':
      return `${head} prev=${m.prevIndex}/${m.prevTerm} commit=${m.commit} entries=[${m.entries.map((e) => `${e.index}/${e.term}`).join(' ')}]`;
    case 'appendResp':
      return `${head} ${m.reject ? `reject ${m.index} hint=${m.rejectHint}/${m.hintTerm}` : `ok ${m.index}`}`;
    case 'vote':
    case 'preVote':
      return `${head} last=${m.lastIndex}/${m.lastTerm}${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head} ${m.reject ? 'reject' : 'grant'}`;
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.ctx ? ` ctx=${m.ctx}` : ''}`;
    case 'heartbeatResp':
      return `${head}${m.ctx ? ` ctx=${m.ctx}` : ''}`;
    case 'snapshot':
      return `${head} at ${m.snapshot.meta.index}/${m.snapshot.meta.term}`;
    case 'snapshotStatus':
      return `${head} ${m.reject ? 'reject' : 'ok'} ${m.index}`;
    case 'propose':
      return `${head} ${m.entries.length} entries`;
    case 'readIndex':
      return `${head} ctx=${m.ctx}`;
    case 'readIndexResp':
      return `${head} ctx=${m.ctx} index=${m.index}`;
    case 'timeoutNow':
      return head;
  }
}
