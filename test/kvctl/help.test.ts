// kvctl's help, version and usage errors: etcdctl's layout and statuses, plus examples.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { kvctl } from './support.js';

describe('kvctl help', () => {
  test('--help lists every command and the global options, exit 0', async () => {
    const r = await kvctl(['--help']);
    assert.equal(r.code, 0);
    for (const c of [
      'backup',
      'cluster-health',
      'mk',
      'mkdir',
      'rm',
      'rmdir',
      'get',
      'ls',
      'set',
      'setdir',
      'update',
      'updatedir',
      'watch',
      'exec-watch',
      'member',
    ]) {
      assert.match(r.stdout, new RegExp(`^   ${c} +\\S`, 'm'), c);
    }
    assert.match(
      r.stdout,
      /^   --output simple, -o simple +output response in the given format \(simple, `extended` or `json`\) \(default: "simple"\)$/m,
    );
    assert.match(r.stdout, /^   --timeout value +connection timeout per request \(default: 2s\)$/m);
  });

  test('no arguments print the same help', async () => {
    assert.equal((await kvctl([])).stdout, (await kvctl(['--help'])).stdout);
  });

  test('"help set" and "set --help" print the command help with examples', async () => {
    const a = await kvctl(['help', 'set']);
    const b = await kvctl(['set', '--help']);
    assert.equal(a.code, 0);
    assert.equal(a.stdout, b.stdout);
    assert.ok(
      a.stdout.startsWith(
        'NAME:\n   kvctl set - set the value of a key\n\nUSAGE:\n   kvctl set [command options] <key> <value>\n',
      ),
    );
    assert.match(a.stdout, /^   --ttl value +key time-to-live in seconds \(default: 0\)$/m);
    assert.match(a.stdout, /^EXAMPLES:\n   \$ kvctl set /m);
  });

  test('every command has examples in its help', async () => {
    for (const c of [
      'backup',
      'cluster-health',
      'mk',
      'mkdir',
      'rm',
      'rmdir',
      'get',
      'ls',
      'set',
      'setdir',
      'update',
      'updatedir',
      'watch',
      'exec-watch',
    ]) {
      assert.match((await kvctl([c, '--help'])).stdout, /EXAMPLES:\n   \$ kvctl /, c);
    }
    assert.match((await kvctl(['member', 'add', '--help'])).stdout, /EXAMPLES:\n   \$ kvctl member add /);
  });

  test('member alone lists its subcommands', async () => {
    const r = await kvctl(['member']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /COMMANDS:\n   list    enumerate existing cluster members\n   add     add a new member/);
  });

  test('an unknown command or help topic exits 3', async () => {
    assert.deepEqual(await kvctl(['nosuch']), { code: 3, stdout: '', stderr: "No help topic for 'nosuch'\n" });
    assert.deepEqual(await kvctl(['help', 'nosuch']), { code: 3, stdout: '', stderr: "No help topic for 'nosuch'\n" });
    assert.deepEqual(await kvctl(['member', 'nosuch']), {
      code: 3,
      stdout: '',
      stderr: "No help topic for 'nosuch'\n",
    });
  });

  test('a bad command flag prints "Incorrect Usage:" and the command help, exit 1', async () => {
    const r = await kvctl(['get', '--nosuch', '/k']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'flag provided but not defined: -nosuch\n');
    assert.ok(r.stdout.startsWith('Incorrect Usage: flag provided but not defined: -nosuch\n\nNAME:\n   kvctl get - '));
  });

  test('a bad global flag prints "Incorrect Usage." and the app help, exit 1', async () => {
    const r = await kvctl(['--nosuch', 'get', '/k']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'flag provided but not defined: -nosuch\n');
    assert.ok(r.stdout.startsWith('Incorrect Usage. flag provided but not defined: -nosuch\n\nNAME:\n   kvctl - '));
  });

  test('--version prints the version and the API version', async () => {
    const r = await kvctl(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^kvctl version: \d+\.\d+\.\d+\nAPI version: 2\n$/);
  });
});
