// RefusalLog: refusals are logged one by one up to a limit per window, and
// what the limit held back is reported as one count.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { RefusalLog } from '../../lib/tls/index.js';

function setup(limit: number, windowMs: number) {
  const lines: { level: number; msg: string; suppressed?: number; remote?: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  let now = 1_000;
  const log = new RefusalLog(logger, 'refused', { limit, windowMs, now: () => now });
  return { log, lines, advance: (ms: number) => (now += ms) };
}

describe('RefusalLog', () => {
  it('logs each refusal at warn with its fields while under the limit', () => {
    const { log, lines } = setup(3, 1000);
    log.refused({ remote: '10.0.0.1:5000', reason: 'no client certificate' });
    log.refused({ remote: '10.0.0.2:5000', reason: 'certificate has expired' });
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.remote]),
      [
        [40, 'refused', '10.0.0.1:5000'],
        [40, 'refused', '10.0.0.2:5000'],
      ],
    );
    log.close();
  });

  it('counts refusals over the limit and reports the count when the next window starts', () => {
    const { log, lines, advance } = setup(2, 1000);
    for (let i = 0; i < 7; i++) log.refused({ remote: `10.0.0.${i}:1` });
    assert.equal(lines.length, 2);
    advance(1000);
    log.refused({ remote: '10.0.0.9:1' });
    assert.deepEqual(
      lines.slice(2).map((l) => [l.msg, l.suppressed ?? null, l.remote ?? null]),
      [
        ['refused: 5 more not logged one by one (rate limit)', 5, null],
        ['refused', null, '10.0.0.9:1'],
      ],
    );
    log.close();
  });

  it('reports the held-back count on close', () => {
    const { log, lines } = setup(1, 60_000);
    log.refused({});
    log.refused({});
    log.refused({});
    log.close();
    assert.equal(lines.at(-1)?.suppressed, 2);
    log.close();
    assert.equal(lines.length, 2, 'nothing is reported twice');
  });

  it('reports the held-back count by itself once the window has passed', async () => {
    const lines: { suppressed?: number }[] = [];
    const log = new RefusalLog(pino({}, { write: (s: string) => void lines.push(JSON.parse(s)) }), 'refused', {
      limit: 1,
      windowMs: 30,
    });
    log.refused({});
    log.refused({});
    for (let i = 0; i < 100 && lines.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(lines[1]?.suppressed, 1);
    log.close();
  });
});
