import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asIndex, asMemberId, asTerm } from '../../lib/raft/types.js';
import { VirtualTime } from '../../lib/runtime/index.js';
import { MemberStats } from '../../lib/server/member-stats.js';

const leader = asMemberId('000000000000000a');
const follower = asMemberId('000000000000000b');
const heartbeat = {
  type: 'heartbeat' as const,
  from: leader,
  to: follower,
  term: asTerm(1),
  commit: asIndex(0),
  ctx: '',
};
const answer = { type: 'heartbeatResp' as const, from: follower, to: leader, term: asTerm(1), ctx: '' };

function stats() {
  const time = new VirtualTime(Date.UTC(2026, 0, 1));
  return { s: new MemberStats({ id: leader, name: 'a', clock: time, heartbeatMs: 100 }), time };
}

describe('member stats', () => {
  it("times a follower's answer from the first unanswered message sent to it", () => {
    const { s, time } = stats();
    s.roleChanged('leader', leader);
    s.sent([heartbeat]);
    time.advance(3);
    s.sent([heartbeat]);
    time.advance(4);
    s.received(answer);
    const followers = (
      s.leaderStats([leader, follower]) as {
        followers: Record<string, { latency: { current: number }; counts: { success: number } }>;
      }
    ).followers;
    assert.equal(followers[follower]?.latency.current, 7);
    assert.equal(followers[follower]?.counts.success, 1);
  });

  it('counts an unreachable follower as a failure while leading', () => {
    const { s } = stats();
    s.roleChanged('leader', leader);
    s.sent([heartbeat]);
    s.received(answer);
    s.unreachable(follower);
    const followers = (s.leaderStats([leader, follower]) as { followers: Record<string, { counts: { fail: number } }> })
      .followers;
    assert.equal(followers[follower]?.counts.fail, 1);
  });

  it('has no leader stats on a member that does not lead', () => {
    const { s } = stats();
    s.roleChanged('follower', follower);
    assert.equal(s.leaderStats([leader, follower]), null);
  });

  it("reports the leader's uptime from when this member saw it elected, in Go's duration format", () => {
    const { s, time } = stats();
    time.advance(1000);
    s.roleChanged('follower', follower);
    time.advance(2500);
    const self = s.selfStats() as {
      state: string;
      startTime: string;
      leaderInfo: { leader: string; uptime: string; startTime: string };
    };
    assert.equal(self.state, 'StateFollower');
    assert.equal(self.startTime, '2026-01-01T00:00:00Z');
    assert.deepEqual(self.leaderInfo, { leader: follower, uptime: '2.5s', startTime: '2026-01-01T00:00:01Z' });
  });
});
