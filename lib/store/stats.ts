// etcd's v2 store counters (/v2/stats/store), in its JSON order.

export const STAT_NAMES = [
  'getsSuccess',
  'getsFail',
  'setsSuccess',
  'setsFail',
  'deleteSuccess',
  'deleteFail',
  'updateSuccess',
  'updateFail',
  'createSuccess',
  'createFail',
  'compareAndSwapSuccess',
  'compareAndSwapFail',
  'compareAndDeleteSuccess',
  'compareAndDeleteFail',
  'expireCount',
] as const;

export type StatName = (typeof STAT_NAMES)[number];

export type StoreCounters = Record<StatName, number>;

export function newCounters(): StoreCounters {
  const c = {} as StoreCounters;
  for (const name of STAT_NAMES) c[name] = 0;
  return c;
}
