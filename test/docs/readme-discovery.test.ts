// The README's "A three-member cluster by discovery", run as written.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInSandbox, shellBlocks } from '../support/docs.js';

test("the README's discovery steps bootstrap three members through the discovery service and refuse a fourth", async (t) => {
  const blocks = shellBlocks('README.md', '## A three-member cluster by discovery');
  assert.equal(blocks.length, 1);
  const run = await runInSandbox(t, blocks[0]!);
  const logs = () =>
    ['d1.log', 'd4.log', 'discovery.log']
      .map((f) => {
        try {
          return `--- ${f}\n${readFileSync(join(run.dir, f), 'utf8').slice(-3000)}`;
        } catch {
          return '';
        }
      })
      .join('\n');
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\n${logs()}`);
  const lines = run.stdout.split('\n');
  const url = /^discovery URL: (http:\/\/127\.0\.0\.1:8087\/[0-9a-f]{32})$/.exec(
    lines.find((l) => l.startsWith('discovery URL:')) ?? '',
  );
  assert.ok(url, run.stdout);
  const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const registrations = json.find((j) => j.node?.dir === true);
  assert.deepEqual(registrations.node.nodes.map((n: { value: string }) => n.value).sort(), [
    'd1=http://127.0.0.1:14380',
    'd2=http://127.0.0.1:24380',
    'd3=http://127.0.0.1:34380',
  ]);
  const members = json.find((j) => Array.isArray(j.members));
  assert.deepEqual(members.members.map((m: { peerURLs: string[] }) => m.peerURLs[0]).sort(), [
    'http://127.0.0.1:14380',
    'http://127.0.0.1:24380',
    'http://127.0.0.1:34380',
  ]);
  const read = json.find((j) => j.action === 'get' && j.node?.key === '/hello');
  assert.equal(read.node.value, 'world');
  assert.match(
    lines.filter((l) => l !== '').at(-1)!,
    /^kvd: discovery: cluster is full: this discovery token already bootstrapped a running cluster/,
  );
});
