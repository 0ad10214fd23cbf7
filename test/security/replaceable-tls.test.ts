// Replaceable peer TLS options: whoever spreads them reads the current
// material, and listening servers are told of each replacement.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replaceableTls, replaceTls } from '../../lib/transport/index.js';
import { onTlsReplaced } from '../../lib/transport/replaceable-tls.js';

describe('replaceable TLS options', () => {
  it('spread to exactly the current options, before and after a replacement', () => {
    const options = replaceableTls<{ cert?: string; key?: string; ca?: string }>({ cert: 'old cert', key: 'old key', ca: 'ca' });
    assert.deepEqual({ ...options }, { cert: 'old cert', key: 'old key', ca: 'ca' });
    replaceTls(options, { cert: 'new cert', key: 'new key' });
    assert.deepEqual({ ...options }, { cert: 'new cert', key: 'new key' });
  });

  it('tell each listener of a replacement until it stops listening', () => {
    const options = replaceableTls({ cert: 'first' });
    const seen: string[] = [];
    const stop = onTlsReplaced(options, (next) => seen.push(next.cert));
    replaceTls(options, { cert: 'second' });
    stop();
    replaceTls(options, { cert: 'third' });
    assert.deepEqual(seen, ['second']);
  });

  it('leave plain options alone: nothing to listen to', () => {
    const seen: unknown[] = [];
    const stop = onTlsReplaced({ cert: 'plain' }, (next) => seen.push(next));
    stop();
    assert.deepEqual(seen, []);
  });
});
