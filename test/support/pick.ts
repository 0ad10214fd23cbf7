// Reading an element a test expects to be there. With noUncheckedIndexedAccess
// `items[0]` may be undefined; a missing one fails the test here, naming what
// was expected, instead of as a TypeError lines later.
import assert from 'node:assert/strict';

/** items[i] (from the end when i < 0), failing the test when there is no such element. */
export function nth<T>(items: readonly T[], i: number, what?: string): T {
  const item = items.at(i);
  if (item === undefined) assert.fail(`expected ${what ?? `item ${i}`}, but there are ${items.length} items`);
  return item;
}

/** The first of items, failing the test when there is none. */
export function first<T>(items: readonly T[], what = 'a first item'): T {
  return nth(items, 0, what);
}

/** The last of items, failing the test when there is none. */
export function last<T>(items: readonly T[], what = 'a last item'): T {
  return nth(items, -1, what);
}

/** The one item of items, failing the test unless there is exactly one. */
export function only<T>(items: readonly T[], what = 'exactly one item'): T {
  if (items.length !== 1) assert.fail(`expected ${what}, but there are ${items.length} items`);
  return nth(items, 0, what);
}
