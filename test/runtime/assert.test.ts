import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assert as check, AssertionFailure, unreachable } from '../../lib/assert.js';

describe('lib/assert', () => {
  it('passes silently when the condition holds', () => {
    check(1 + 1 === 2, 'arithmetic');
  });

  it('throws an AssertionFailure carrying the message and the details for the log line', () => {
    assert.throws(
      () => check(false, 'commit index went back', { from: 5, to: 3 }),
      (e: unknown) =>
        e instanceof AssertionFailure &&
        e.code === 'ASSERTION_FAILED' &&
        e.message === 'commit index went back' &&
        e.details.from === 5,
    );
  });

  it('unreachable() names the value that was not expected', () => {
    const kind = 'odd' as never;
    assert.throws(
      () => unreachable(kind, 'entry type'),
      (e: unknown) => e instanceof AssertionFailure && e.message === 'unexpected entry type: "odd"',
    );
  });
});
