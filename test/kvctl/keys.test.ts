// kvctl's key commands against a live server: what each prints in each
// output mode, and its exit status, as etcdctl v2 does.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { etcdctl, etcdctlAvailable, kvctlAt, normalise, removePrefix, startServer, uniquePrefix } from './support.js';

const server = await startServer();
const ep = server.endpoint;
const root = uniquePrefix();
let n = 0;
/** A fresh prefix under the test's root for one test. */
const fresh = (): string => `${root}/t${++n}`;
const run = (argv: string[], stdin?: string) => kvctlAt(ep, argv, stdin === undefined ? {} : { stdin });

after(async () => {
  await removePrefix(ep, root);
  await server.stop();
});

describe('kvctl key commands', () => {
  test('set prints the value it stored and get prints it back', async () => {
    const p = fresh();
    assert.deepEqual(await run(['set', `${p}/a`, 'hello']), { code: 0, stdout: 'hello\n', stderr: '' });
    assert.deepEqual(await run(['get', `${p}/a`]), { code: 0, stdout: 'hello\n', stderr: '' });
  });

  test('get --at-index prints the value as it was just after that index (kvd only)', async () => {
    const p = fresh();
    await run(['set', `${p}/a`, 'first']);
    const r = await run(['-o', 'extended', 'get', `${p}/a`]);
    const index = /Modified-Index: (\d+)/.exec(r.stdout)?.[1] ?? '';
    await run(['set', `${p}/a`, 'second']);
    assert.deepEqual(await run(['get', '--at-index', index, `${p}/a`]), { code: 0, stdout: 'first\n', stderr: '' });
    assert.deepEqual(await run(['get', `${p}/a`]), { code: 0, stdout: 'second\n', stderr: '' });
  });

  test('ls --at-index lists the directory as it was then (kvd only)', async () => {
    const p = fresh();
    await run(['set', `${p}/d/a`, '1']);
    const r = await run(['-o', 'extended', 'get', `${p}/d/a`]);
    const index = /Modified-Index: (\d+)/.exec(r.stdout)?.[1] ?? '';
    await run(['set', `${p}/d/b`, '2']);
    assert.deepEqual(await run(['ls', '--at-index', index, `${p}/d`]), { code: 0, stdout: `${p}/d/a\n`, stderr: '' });
  });

  test('get of a missing key prints the etcd error with two spaces and exits 4', async () => {
    const p = fresh();
    const r = await run(['get', `${p}/nope`]);
    assert.equal(r.code, 4);
    assert.equal(r.stdout, '');
    // The cause is the first missing path element.
    assert.match(r.stderr, new RegExp(`^Error:  100: Key not found \\(${p}(/nope)?\\) \\[\\d+\\]\\n$`));
  });

  test('get -o extended prints the key, indexes, TTL and value', async () => {
    const p = fresh();
    await run(['set', '--ttl', '0x10', `${p}/a`, 'v']);
    const r = await run(['-o', 'extended', 'get', `${p}/a`]);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      new RegExp(`^Key: ${p}/a\\nCreated-Index: \\d+\\nModified-Index: \\d+\\nTTL: 1[56]\\nIndex: \\d+\\n\\nv\\n$`),
    );
  });

  test('set -o json prints Go-marshalled response with nodes:null and prevNode', async () => {
    const p = fresh();
    await run(['set', `${p}/a`, 'one']);
    const r = await run(['-o', 'json', 'set', `${p}/a`, 'two<&>']);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      new RegExp(
        `^\\{"action":"set","node":\\{"key":"${p}/a","value":"two\\\\u003c\\\\u0026\\\\u003e","nodes":null,"createdIndex":\\d+,"modifiedIndex":\\d+\\},` +
          `"prevNode":\\{"key":"${p}/a","value":"one","nodes":null,"createdIndex":\\d+,"modifiedIndex":\\d+\\}\\}\\n$`,
      ),
    );
  });

  test('get of a directory says it is a directory and exits 1', async () => {
    const p = fresh();
    await run(['mkdir', `${p}/d`]);
    assert.deepEqual(await run(['get', `${p}/d`]), { code: 1, stdout: '', stderr: `${p}/d: is a directory\n` });
  });

  test('set reads the value from stdin when none is given', async () => {
    const p = fresh();
    assert.deepEqual(await run(['set', `${p}/a`], 'from stdin'), { code: 0, stdout: 'from stdin\n', stderr: '' });
  });

  test('set without a value or stdin fails with "value required" and exits 1', async () => {
    const p = fresh();
    assert.deepEqual(await run(['set', `${p}/a`]), { code: 1, stdout: '', stderr: 'Error:  value required\n' });
  });

  test('a value starting with a dash is taken as the value', async () => {
    const p = fresh();
    assert.deepEqual(await run(['set', `${p}/a`, '-1']), { code: 0, stdout: '-1\n', stderr: '' });
    assert.deepEqual(await run(['set', '--', `${p}/b`, '-2']), { code: 0, stdout: '-2\n', stderr: '' });
  });

  test('--swap-with-value keeps its raw string and a failed compare exits 4', async () => {
    const p = fresh();
    await run(['set', `${p}/a`, '0x10']);
    assert.equal((await run(['set', '--swap-with-value', '0x10', `${p}/a`, 'next'])).stdout, 'next\n');
    const r = await run(['set', `${p}/a`, 'x', '--swap-with-value', '16']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /^Error:  101: Compare failed \(\[16 != next\]\) \[\d+\]\n$/);
  });

  test('mk refuses an existing key with error 105', async () => {
    const p = fresh();
    await run(['mk', `${p}/a`, 'v']);
    const r = await run(['mk', `${p}/a`, 'v']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, new RegExp(`^Error:  105: Key already exists \\(${p}/a\\) \\[\\d+\\]\\n$`));
  });

  test('mk --in-order creates a sequential key under the directory', async () => {
    const p = fresh();
    const r = await run(['-o', 'json', 'mk', '--in-order', `${p}/q`, 'job']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^\\{"action":"create","node":\\{"key":"${p}/q/\\d{20}","value":"job"`));
  });

  test('mkdir prints nothing in simple mode and the response in extended mode', async () => {
    const p = fresh();
    assert.deepEqual(await run(['mkdir', `${p}/d`]), { code: 0, stdout: '', stderr: '' });
    const r = await run(['-o', 'extended', 'mkdir', `${p}/e`]);
    assert.match(
      r.stdout,
      new RegExp(`^Key: ${p}/e\\nCreated-Index: \\d+\\nModified-Index: \\d+\\nTTL: 0\\nIndex: \\d+\\n\\n\\n$`),
    );
  });

  test('update and updatedir need the key to exist', async () => {
    const p = fresh();
    assert.equal((await run(['update', `${p}/a`, 'v'])).code, 4);
    await run(['set', `${p}/a`, 'v']);
    assert.deepEqual(await run(['update', `${p}/a`, 'w']), { code: 0, stdout: 'w\n', stderr: '' });
    assert.match((await run(['updatedir', `${p}/nodir`])).stderr, /^Error:  100: Key not found/);
  });

  test('setdir creates a directory', async () => {
    const p = fresh();
    assert.deepEqual(await run(['setdir', `${p}/d`]), { code: 0, stdout: '', stderr: '' });
    assert.match((await run(['-o', 'json', 'ls', `${p}/d`])).stdout, /"dir":true,"value":"","nodes":null/);
  });

  test('rm prints the previous value; rm of a directory needs --dir or --recursive', async () => {
    const p = fresh();
    await run(['set', `${p}/d/k`, 'v']);
    assert.deepEqual(await run(['rm', `${p}/d/k`]), { code: 0, stdout: 'PrevNode.Value: v\n', stderr: '' });
    assert.match((await run(['rm', `${p}/d`])).stderr, /^Error:  102: Not a file/);
    assert.deepEqual(await run(['rm', '--dir', `${p}/d`]), { code: 0, stdout: '', stderr: '' });
  });

  test('rm -o extended prints no value line', async () => {
    const p = fresh();
    await run(['set', `${p}/k`, 'v']);
    const r = await run(['-o', 'extended', 'rm', `${p}/k`]);
    assert.match(
      r.stdout,
      new RegExp(
        `^Key: ${p}/k\\nCreated-Index: \\d+\\nModified-Index: \\d+\\nPrevNode.Value: v\\nTTL: 0\\nIndex: \\d+\\n$`,
      ),
    );
  });

  test('rm --with-index compares the modified index', async () => {
    const p = fresh();
    await run(['set', `${p}/k`, 'v']);
    const r = await run(['rm', '--with-index', '1', `${p}/k`]);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /^Error:  101: Compare failed \(\[1 != \d+\]\)/);
  });

  test('rmdir refuses a non-empty directory with 108', async () => {
    const p = fresh();
    await run(['set', `${p}/d/k`, 'v']);
    assert.match((await run(['rmdir', `${p}/d`])).stderr, /^Error:  108: Directory not empty/);
    await run(['rm', `${p}/d/k`]);
    assert.deepEqual(await run(['rmdir', `${p}/d`]), { code: 0, stdout: '', stderr: '' });
  });

  test('ls lists children; --recursive -p --sort marks directories and sorts', async () => {
    const p = fresh();
    await run(['set', `${p}/b`, '1']);
    await run(['set', `${p}/a/x`, '2']);
    assert.deepEqual(await run(['ls', '--recursive', '-p', '--sort', p]), {
      code: 0,
      stdout: `${p}/a/\n${p}/a/x\n${p}/b\n`,
      stderr: '',
    });
    assert.deepEqual(await run(['ls', `${p}/b`]), { code: 0, stdout: `${p}/b\n`, stderr: '' });
  });

  test('an unknown output format is reported on stderr and the command still succeeds', async () => {
    const p = fresh();
    await run(['set', `${p}/a`, 'v']);
    assert.deepEqual(await run(['--output', 'yaml', 'get', `${p}/a`]), {
      code: 0,
      stdout: '',
      stderr: 'Unsupported output format: yaml\n',
    });
  });

  test('a boolean flag before a word takes the word as the first argument, as etcdctl does', async () => {
    const p = fresh();
    await run(['set', `${p}/a`, 'A']);
    await run(['set', `${p}/b`, 'B']);
    assert.equal((await run(['get', `${p}/a`, '--sort', `${p}/b`])).stdout, 'B\n');
  });
});

describe(
  'kvctl matches etcdctl byte for byte',
  { skip: !etcdctlAvailable && 'etcdctl (Debian etcd-client) is not installed; .ci/run installs it' },
  () => {
    const scenarios: { name: string; setup: string[][]; argv: string[] }[] = [
      { name: 'get', setup: [['set', '@/a', 'v']], argv: ['get', '@/a'] },
      { name: 'get -o json', setup: [['set', '--ttl', '100', '@/a', 'v\t"q"']], argv: ['-o', 'json', 'get', '@/a'] },
      { name: 'get missing', setup: [], argv: ['get', '@/missing'] },
      {
        name: 'set -o extended over a value',
        setup: [['set', '@/a', 'old']],
        argv: ['-o', 'extended', 'set', '@/a', 'new'],
      },
      { name: 'mk existing', setup: [['set', '@/a', 'v']], argv: ['mk', '@/a', 'v'] },
      { name: 'mkdir -o json', setup: [], argv: ['-o', 'json', 'mkdir', '@/d'] },
      { name: 'rm -o json', setup: [['set', '@/a', 'v']], argv: ['-o', 'json', 'rm', '@/a'] },
      { name: 'rmdir -o json', setup: [['mkdir', '@/d']], argv: ['-o', 'json', 'rmdir', '@/d'] },
      { name: 'rm -r of a tree', setup: [['set', '@/d/a', '1']], argv: ['rm', '-r', '@/d'] },
      { name: 'ls -o extended of a dir', setup: [['mkdir', '@/d']], argv: ['-o', 'extended', 'ls', '@/d'] },
      {
        name: 'ls sorted',
        setup: [
          ['set', '@/d/b', '1'],
          ['set', '@/d/a', '2'],
        ],
        argv: ['ls', '--sort', '@/d'],
      },
      { name: 'bad --ttl', setup: [], argv: ['set', '--ttl', 'abc', '@/a', 'v'] },
      { name: 'unknown command flag', setup: [], argv: ['get', '--nosuch', '@/a'] },
      { name: 'both forms of a flag', setup: [], argv: ['rm', '-r', '--recursive', '@/a'] },
      { name: 'unknown command', setup: [], argv: ['nosuchcmd'] },
      { name: 'missing key', setup: [], argv: ['get'] },
      { name: 'dir get', setup: [['mkdir', '@/d']], argv: ['get', '@/d'] },
    ];
    for (const s of scenarios) {
      test(`${s.name}`, async () => {
        const p = fresh();
        const runs = [];
        for (const tool of ['etcdctl', 'kvctl'] as const) {
          const base = `${p}/${tool}`;
          const sub = (a: string[]) => a.map((x) => x.replace('@', base));
          for (const step of s.setup) await kvctlAt(ep, ['--no-sync', ...sub(step)]);
          const argv = ['--endpoints', ep, ...sub(s.argv)];
          const r = tool === 'etcdctl' ? await etcdctl(argv) : await kvctlAt(ep, sub(s.argv));
          runs.push(normalise(r, base));
        }
        const [want, got] = runs;
        if (/^(bad --ttl|unknown command flag|both forms)/.test(s.name)) {
          // Usage errors print the command's help, where kvctl adds examples after etcdctl's text and its own flags.
          // (a longer kvd flag widens the flag column: spaces are compared as one).
          const columns = (text: string) => text.replace(/ {2,}/g, '  ');
          const etcdFlagsOnly = got!.stdout
            .split('\n')
            .filter((l) => !l.includes('(kvd only)'))
            .join('\n');
          assert.ok(columns(etcdFlagsOnly).startsWith(columns(want!.stdout.trimEnd())), got!.stdout);
          assert.equal(got!.stderr, want!.stderr);
          assert.equal(got!.code, want!.code);
        } else assert.deepEqual(got, want);
      });
    }
  },
);
