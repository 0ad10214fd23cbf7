import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom, VirtualTime } from '../../lib/runtime/index.js';
import { Housekeeping, SYNC_INTERVAL_MS } from '../../lib/server/housekeeping.js';
import type { ProposalBody } from '../../lib/proposal/index.js';
import { Store } from '../../lib/store/index.js';
import { quietLogger, settle } from './parts.js';

function housekeeping(opts: { leader?: boolean; fail?: boolean } = {}) {
  const time = new VirtualTime(1_700_000_000_000);
  const store = new Store();
  const proposed: ProposalBody[] = [];
  const state = { leader: opts.leader ?? true, fail: opts.fail ?? false };
  const h = new Housekeeping({
    runtime: { clock: time, scheduler: time, random: new SeededRandom(1) },
    logger: quietLogger,
    publish: { op: 'publish', id: 'a', name: 'a', clientURLs: ['http://127.0.0.1:2379'] },
    store: () => store,
    isLeader: () => state.leader,
    hasLeader: () => true,
    healthy: () => true,
    propose: async (body) => {
      proposed.push(body);
      if (state.fail) throw new Error('no leader');
      return null;
    },
  });
  return { h, time, store, proposed, state };
}

const withTtl = (store: Store, now: number) =>
  store.apply({ op: 'put', path: '/k', value: 'v', dir: false, ttl: 1, refresh: false }, now);

describe('housekeeping', () => {
  it('the leader proposes one TTL sync once a key is due, and the next only after that one was applied', async () => {
    const t = housekeeping();
    withTtl(t.store, t.time.now());
    t.h.start();
    t.time.advance(SYNC_INTERVAL_MS);
    assert.deepEqual(t.proposed, [], 'nothing is due yet');
    t.time.advance(1000);
    assert.deepEqual(t.proposed, [{ op: 'sync' }]);
    t.time.advance(SYNC_INTERVAL_MS * 3);
    assert.equal(t.proposed.length, 1, 'one sync in flight at a time');
    t.h.syncApplied();
    t.time.advance(SYNC_INTERVAL_MS);
    assert.equal(t.proposed.length, 2);
  });

  it('a follower never proposes a TTL sync', () => {
    const t = housekeeping({ leader: false });
    withTtl(t.store, t.time.now());
    t.h.start();
    t.time.advance(10_000);
    assert.deepEqual(t.proposed, []);
  });

  it('publishes once when a leader is known, and again after a publish that failed', async () => {
    const t = housekeeping({ fail: true });
    t.h.leaderKnown();
    t.h.leaderKnown();
    assert.equal(t.proposed.length, 1);
    await settle();
    t.state.fail = false;
    t.h.leaderKnown();
    await settle();
    t.h.leaderKnown();
    assert.deepEqual(
      t.proposed.map((p) => p.op),
      ['publish', 'publish'],
    );
  });
});
