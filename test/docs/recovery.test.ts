// docs/recovery.md, run as written against the situation it describes: the
// README's three-member cluster with two members lost for good.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInSandbox, shellBlocks } from '../support/docs.js';
import { START_UP_MS } from '../support/procs.js';

/** The README's cluster from config/cluster, some keys written, then kvd-2 and kvd-3 killed and their data dirs deleted. */
const LOST_QUORUM = `
healthy() { for i in $(seq ${START_UP_MS / 200}); do curl -sf "$1/health" >/dev/null && return 0; sleep 0.2; done; return 1; }
for i in 1 2 3; do node dist/cmd/kvd.js --config-file config/cluster/kvd-$i.yaml 2>kvd-$i.log & done
healthy http://127.0.0.1:12379 && healthy http://127.0.0.1:22379 && healthy http://127.0.0.1:32379
for i in 1 2 3 4 5; do curl -sf -X PUT http://127.0.0.1:12379/v2/keys/app/k$i -d value=v$i >/dev/null; done
curl -sf -X PUT http://127.0.0.1:12379/v2/keys/app/session -d value=alive -d ttl=600 >/dev/null
curl -sf 'http://127.0.0.1:22379/v2/keys/app?recursive=true&sorted=true&quorum=true' >before.json
for i in 2 3; do kill -9 "$(cat kvd-$i.kvd/member/lock)"; done
rm -rf kvd-2.kvd kvd-3.kvd
for i in $(seq 100); do curl -s http://127.0.0.1:12379/health | grep -q '"false"' && break; sleep 0.1; done
echo '--- the procedure'
`;

interface Node {
  key: string;
  value?: string;
  modifiedIndex: number;
  createdIndex: number;
  nodes?: Node[];
}

const keys = (n: Node): string[] =>
  (n.nodes ?? []).map((c) => `${c.key}=${c.value}@${c.createdIndex}/${c.modifiedIndex}`);

test('docs/recovery.md brings a cluster that lost two of three members back to three, every key kept', async (t) => {
  const blocks = shellBlocks('docs/recovery.md', '## The procedure');
  assert.equal(blocks.length, 1);
  const run = await runInSandbox(t, LOST_QUORUM + blocks[0]!);
  const logs = () =>
    ['kvd-1.log', 'kvd-2.log', 'kvd-3.log']
      .map((f) => {
        try {
          return `--- ${f}\n${readFileSync(join(run.dir, f), 'utf8').slice(-3000)}`;
        } catch {
          return '';
        }
      })
      .join('\n');
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\n${logs()}`);
  const out = run.stdout.slice(run.stdout.indexOf('--- the procedure'));
  const lines = out.split('\n');
  assert.match(lines[1]!, /"health":"false"/);
  const before = JSON.parse(readFileSync(join(run.dir, 'before.json'), 'utf8')).node as Node;
  const trees = lines.filter((l) => l.startsWith('{"action":"get"')).map((l) => JSON.parse(l).node as Node);
  assert.equal(trees.length, 2, out);
  for (const tree of trees) assert.deepEqual(keys(tree), keys(before));
  const restored = JSON.parse(lines.find((l) => l.startsWith('{"members"'))!).members;
  assert.deepEqual(
    restored.map((m: { peerURLs: string[] }) => m.peerURLs),
    [['http://127.0.0.1:12380']],
  );
  assert.match(out, /cluster is healthy/);
  assert.equal((out.match(/is healthy: got healthy result from/g) ?? []).length, 3, out);
  assert.match(lines.filter((l) => l.startsWith('{"action":"set"')).at(-1)!, /"key":"\/app\/recovered","value":"yes"/);
});
