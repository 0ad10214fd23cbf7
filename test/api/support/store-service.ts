// TEST ADAPTER, not a member: KeysService and ClusterService implemented
// directly over one lib/store Store, with no raft, storage or peers, so the
// client API can be tested over HTTP before (and apart from) lib/server's
// Member. Writes apply at once at the wall-clock time; raft index and term
// are counters; membership is a plain list.

import {
  MembershipError,
  type ClusterService,
  type KeysService,
  type MemberInfo,
  type ReadOptions,
  type ResponseIndexes,
} from '../../../lib/server/service.js';
import {
  ErrorCode,
  Store,
  V2Error,
  type Event,
  type StoreRequest,
  type WatchHandle,
  type WatchOptions,
} from '../../../lib/store/index.js';

export const TEST_CLUSTER_ID = 'cdf818194e3a8c32';

export const SELF: MemberInfo = {
  id: '8e9e05c52164694d',
  name: 'default',
  peerURLs: ['http://127.0.0.1:2380'],
  clientURLs: ['http://127.0.0.1:2379'],
};

export class StoreBackedTestService implements KeysService, ClusterService {
  readonly store: Store;
  raftIndex = 1;
  raftTerm = 2;
  memberList: MemberInfo[] = [SELF];
  removedIds = new Set<string>();
  /** When set, the next write rejects with this instead of applying. */
  failNextWrite: Error | null = null;
  /** null: healthy. */
  unhealthy: string | null = null;
  isLeader = true;
  private nextMemberId = 0x1000n;

  constructor(historySize?: number) {
    this.store = new Store(historySize === undefined ? {} : { historySize });
  }

  async write(req: StoreRequest): Promise<Event> {
    const failure = this.failNextWrite;
    if (failure !== null) {
      this.failNextWrite = null;
      throw failure;
    }
    this.raftIndex++;
    return this.store.apply(req, Date.now()) as Event;
  }

  async read(path: string, opts: ReadOptions): Promise<Event> {
    if (opts.quorum) this.raftIndex++;
    return this.readNow(path, opts.recursive, opts.sorted);
  }

  readNow(path: string, recursive: boolean, sorted: boolean): Event {
    return this.store.get(path, recursive, sorted, Date.now());
  }

  watch(path: string, opts: WatchOptions, onEvent: (e: Event) => void): WatchHandle {
    return this.store.watch(path, opts, onEvent);
  }

  indexes(): ResponseIndexes {
    return {
      clusterId: TEST_CLUSTER_ID,
      etcdIndex: this.store.index,
      raftIndex: this.raftIndex,
      raftTerm: this.raftTerm,
    };
  }

  members(): readonly MemberInfo[] {
    return this.memberList;
  }

  async addMember(peerURLs: readonly string[]): Promise<MemberInfo> {
    if (this.memberList.some((m) => m.peerURLs.some((u) => peerURLs.includes(u))))
      throw new MembershipError('PEER_URL_EXISTS');
    const member: MemberInfo = {
      id: (this.nextMemberId++).toString(16),
      name: '',
      peerURLs: [...peerURLs],
      clientURLs: [],
    };
    this.memberList = [...this.memberList, member];
    return member;
  }

  async removeMember(id: string): Promise<void> {
    if (this.removedIds.has(id)) throw new MembershipError('ID_REMOVED');
    if (!this.memberList.some((m) => m.id === id)) throw new MembershipError('ID_NOT_FOUND');
    this.memberList = this.memberList.filter((m) => m.id !== id);
    this.removedIds.add(id);
  }

  async updateMember(id: string, peerURLs: readonly string[]): Promise<void> {
    if (!this.memberList.some((m) => m.id === id)) throw new MembershipError('ID_NOT_FOUND');
    if (this.memberList.some((m) => m.id !== id && m.peerURLs.some((u) => peerURLs.includes(u))))
      throw new MembershipError('PEER_URL_EXISTS');
    this.memberList = this.memberList.map((m) => (m.id === id ? { ...m, peerURLs: [...peerURLs] } : m));
  }

  selfStats(): unknown {
    return {
      name: SELF.name,
      id: SELF.id,
      state: this.isLeader ? 'StateLeader' : 'StateFollower',
      startTime: '2026-11-27T01:53:29.749434654Z',
      leaderInfo: { leader: this.isLeader ? SELF.id : '', uptime: '1s', startTime: '2026-11-27T01:53:30.450961961Z' },
      recvAppendRequestCnt: 0,
      sendAppendRequestCnt: 0,
    };
  }

  leaderStats(): unknown | null {
    return this.isLeader ? { leader: SELF.id, followers: {} } : null;
  }

  storeStats(): unknown {
    return this.store.stats();
  }

  /** The tree's hash now; past indexes need a log, which this service has not. */
  async storeHash(index: number | null): Promise<{ index: number; hash: string }> {
    if (index !== null && index !== this.store.index)
      throw new V2Error(ErrorCode.IndexCompacted, 'no log', this.store.index);
    return { index: this.store.index, hash: this.store.hash() };
  }

  async unhealthyReason(): Promise<string | null> {
    return this.unhealthy;
  }
}
