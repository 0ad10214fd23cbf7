import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeHeap, type HeapNode } from '../../tools/bench/heapprofile.js';

const node = (
  id: number,
  functionName: string,
  url: string,
  selfSize: number,
  children: HeapNode[] = [],
): HeapNode => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
  selfSize,
  children,
});

// (root) → handle (lib/api) → [encode (avsc) 300 B, handle itself 100 B]; (root) → parserOnIncoming (node:_http_server) 600 B
const profile = {
  head: node(1, '(root)', '', 0, [
    node(2, 'handle', 'file:///x/dist/lib/api/keys-handler.js', 100, [
      node(3, 'encode', 'file:///x/node_modules/avsc/lib/types.js', 300),
    ]),
    node(4, 'parserOnIncoming', 'node:_http_server', 600),
  ]),
};

describe('heapprofile', () => {
  it('adds up allocated bytes per allocating function and per file, largest first', () => {
    const h = summarizeHeap(profile, 10);
    assert.equal(h.totalBytes, 1000);
    assert.deepEqual(
      h.functions.map((f) => [f.name, f.bytes, f.share]),
      [
        ['parserOnIncoming node:_http_server:10', 600, 60],
        ['encode npm:avsc:10', 300, 30],
        ['handle lib/api/keys-handler.js:10', 100, 10],
      ],
    );
    assert.deepEqual(
      h.files.map((f) => f.name),
      ['node:_http_server', 'npm:avsc', 'lib/api/keys-handler.js'],
    );
  });

  it('charges what a library allocates to the innermost kvd function that called it', () => {
    const h = summarizeHeap(profile, 10);
    assert.deepEqual(
      h.sites.map((s) => [s.name, s.bytes]),
      [
        ['(no kvd frame) → parserOnIncoming', 600],
        ['handle lib/api/keys-handler.js:10 → encode', 300],
        ['handle lib/api/keys-handler.js:10', 100],
      ],
    );
  });
});
