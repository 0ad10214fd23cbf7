import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contained } from '../../lib/transport/contain.js';
import { captureLogger } from './helpers.js';
import { only } from '../support/pick.js';

test('a listener that throws is logged at error with its stack and drops its connection instead of escaping', () => {
  const { logger, lines } = captureLogger();
  let dropped = 0;
  const listener = contained(
    logger,
    'connect',
    () => void dropped++,
    (n: number) => {
      if (n > 1) throw new Error('late event on a destroyed session');
    },
  );
  listener(1);
  assert.equal(dropped, 0);
  listener(2);
  assert.equal(dropped, 1);
  const line = only(lines, 'one log line');
  assert.equal(line.level, 50);
  assert.equal(line.event, 'connect');
  assert.match(String((line.err as { stack: string }).stack), /late event on a destroyed session\n\s+at /);
});

test('a drop that throws too is logged, and nothing escapes', () => {
  const { logger, lines } = captureLogger();
  const listener = contained(
    logger,
    'goaway',
    () => {
      throw new Error('cannot drop');
    },
    () => {
      throw new Error('handler bug');
    },
  );
  assert.doesNotThrow(() => listener());
  assert.deepStrictEqual(
    lines.map((l) => l.msg),
    ['peer connection event handler failed; dropping the connection', 'cannot drop the peer connection'],
  );
});
