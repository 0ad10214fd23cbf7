// member commands and cluster-health against a live server. Membership is
// only changed on a server the tests own (startServer().owned).

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { closedPort, kvctlAt, kvctlUntil, startServer } from './support.js';

const server = await startServer(3);
const ep = server.endpoint;

after(async () => {
  await server.stop();
});

interface MemberJSON {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}

async function members(): Promise<MemberJSON[]> {
  const res = await fetch(`${ep}/v2/members`);
  return ((await res.json()) as { members: MemberJSON[] }).members;
}

describe('kvctl member', () => {
  test('list prints one line per member with its URLs and who leads', async () => {
    const ms = await members();
    const leader = (await (await fetch(`${ep}/v2/members/leader`)).json()) as MemberJSON;
    const want = ms
      .map((m) =>
        m.name === ''
          ? `${m.id}[unstarted]: peerURLs=${m.peerURLs.join(',')}\n`
          : `${m.id}: name=${m.name} peerURLs=${m.peerURLs.join(',')} clientURLs=${m.clientURLs.join(',')} isLeader=${m.id === leader.id}\n`,
      )
      .join('');
    assert.deepEqual(await kvctlAt(ep, ['member', 'list']), { code: 0, stdout: want, stderr: '' });
  });

  test('list takes no arguments', async () => {
    assert.deepEqual(await kvctlAt(ep, ['member', 'list', 'x']), {
      code: 1,
      stdout: '',
      stderr: 'No arguments accepted\n',
    });
  });

  test('remove of an unknown ID is refused before anything is sent', async () => {
    assert.deepEqual(await kvctlAt(ep, ['member', 'remove', 'ffffffffffffffff']), {
      code: 1,
      stdout: '',
      stderr: "Couldn't find a member in the cluster with an ID of ffffffffffffffff.\n",
    });
  });

  test('remove by name points to the ID instead', async () => {
    const named = (await members()).find((m) => m.name !== '');
    assert.ok(named);
    const r = await kvctlAt(ep, ['member', 'remove', named.name]);
    assert.equal(r.code, 1);
    assert.ok(
      r.stderr.startsWith(
        `Found a member named ${named.name}; if this is correct, please use its ID, eg:\n\tkvctl member remove ${named.id}\n`,
      ),
    );
  });

  test('add checks the peer URL as etcd does', async () => {
    assert.deepEqual(await kvctlAt(ep, ['member', 'add', 'x', 'notaurl']), {
      code: 1,
      stdout: '',
      stderr: 'URL scheme must be http, https, unix, or unixs: notaurl\n',
    });
    assert.deepEqual(await kvctlAt(ep, ['member', 'add', 'x', 'http://127.0.0.1:1/p']), {
      code: 1,
      stdout: '',
      stderr: 'URL must not contain a path: http://127.0.0.1:1/p\n',
    });
    assert.deepEqual(await kvctlAt(ep, ['member', 'add']), {
      code: 1,
      stdout: '',
      stderr: 'Provide a name and a single member peerURL\n',
    });
  });

  test("update of an unknown member reports the server's message", async () => {
    assert.deepEqual(await kvctlAt(ep, ['member', 'update', 'ffffffffffffffff', 'http://127.0.0.1:1']), {
      code: 1,
      stdout: '',
      stderr: 'No such member: ffffffffffffffff\n',
    });
  });

  test('add, update and remove a member', async () => {
    // An added member stays unstarted; only a cluster of 3+ keeps its quorum through that.
    const port = await closedPort();
    const peer = `http://127.0.0.1:${port}`;
    const r = await kvctlAt(ep, ['member', 'add', 'extra', peer]);
    assert.equal(r.code, 0, r.stderr);
    // kvctl may have sent the add to another member: this one learns of it when it applies the entry.
    let added: MemberJSON | undefined;
    for (let i = 0; i < 100 && !added; i++) {
      added = (await members()).find((m) => m.peerURLs.includes(peer));
      if (!added) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(added);
    assert.match(
      r.stdout,
      new RegExp(
        `^Added member named extra with ID ${added.id} to cluster\\n\\nETCD_NAME="extra"\\nETCD_INITIAL_CLUSTER=".*extra=${peer}.*"\\nETCD_INITIAL_CLUSTER_STATE="existing"\\n$`,
      ),
    );
    const moved = `http://127.0.0.1:${await closedPort()}`;
    assert.deepEqual(await kvctlAt(ep, ['member', 'update', added.id, moved]), {
      code: 0,
      stdout: `Updated member with ID ${added.id} in cluster\n`,
      stderr: '',
    });
    assert.deepEqual(await kvctlAt(ep, ['member', 'remove', added.id]), {
      code: 0,
      stdout: `Removed member ${added.id} from cluster\n`,
      stderr: '',
    });
  });
});

describe('kvctl cluster-health', () => {
  test('reports each member healthy and the cluster healthy, exit 0', async () => {
    const ms = await members();
    const r = await kvctlAt(ep, ['cluster-health']);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    for (const m of ms.filter((x) => x.clientURLs.length > 0)) {
      assert.match(
        r.stdout,
        new RegExp(`^member ${m.id} is healthy: got healthy result from ${m.clientURLs[0]}$`, 'm'),
      );
    }
    assert.ok(r.stdout.endsWith('cluster is healthy\n'));
  });

  test('--forever checks again until interrupted, then exits 0', async () => {
    const r = await kvctlUntil(ep, ['cluster-health', '--forever'], (out) =>
      out.endsWith('next check after 10 second...\n\n'),
    );
    assert.equal(r.code, 0);
    assert.ok(r.stdout.endsWith('cluster is healthy\n\nnext check after 10 second...\n\n'), r.stdout);
  });
});
