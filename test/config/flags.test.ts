import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandLineAction, loadConfig } from '../../lib/config/index.js';
import { assertRefused } from './helpers.js';

describe('command-line flags', () => {
  it('keeps a numeric-looking name as the string typed (--name 123 stays "123")', () => {
    const c = loadConfig(['--name', '123', '--initial-cluster-token', '0x10'], {});
    assert.equal(c.name, '123');
    assert.equal(c.initialClusterToken, '0x10');
    assert.equal(c.dataDir, '123.kvd');
  });

  it('does not read 0x10 as 16 for a number key', () => {
    assertRefused(
      () => loadConfig(['--snapshot-count', '0x10'], {}),
      'INVALID_NUMBER',
      'snapshot-count',
      '"0x10"',
      '--snapshot-count',
    );
  });

  it("accepts Go's spellings: -flag value, --flag value, -flag=value, --flag=value", () => {
    for (const argv of [['-name', 'a'], ['--name', 'a'], ['-name=a'], ['--name=a']]) {
      assert.equal(loadConfig(argv, {}).name, 'a', argv.join(' '));
    }
  });

  it('takes the next argument as a value even when it starts with a dash', () => {
    assert.equal(loadConfig(['--initial-cluster-token', '-tok'], {}).initialClusterToken, '-tok');
  });

  it('lets the last of repeated flags win, as Go does', () => {
    assert.equal(loadConfig(['--name', 'a', '--name', 'b'], {}).name, 'b');
  });

  it('reads a boolean flag alone as true and with =value or a following true/false word', () => {
    const autoTls = (argv: string[]) => loadConfig(argv, {}).peerTransportSecurity.autoTls;
    assert.equal(autoTls(['--peer-auto-tls']), true);
    assert.equal(autoTls(['--peer-auto-tls=false']), false);
    assert.equal(autoTls(['--peer-auto-tls=1']), true);
    assert.equal(autoTls(['--peer-auto-tls', 'false']), false);
    assert.equal(autoTls(['--peer-auto-tls', '--name', 'x']), true);
  });

  it('refuses a boolean flag with a non-boolean value, naming flag and value', () => {
    assertRefused(
      () => loadConfig(['--peer-auto-tls=maybe'], {}),
      'INVALID_BOOL',
      'peer-auto-tls',
      '"maybe"',
      'true or false',
    );
  });

  it('refuses an unknown flag, naming it', () => {
    assertRefused(() => loadConfig(['--nmae', 'x'], {}), 'UNKNOWN_KEY', 'nmae', '"--nmae"', 'kvd --help');
  });

  it('refuses a stray positional argument', () => {
    assertRefused(() => loadConfig(['--name', 'a', 'extra'], {}), 'UNEXPECTED_ARGUMENT', 'extra', '"extra"');
  });

  it('refuses a stray argument after a flag with an empty value', () => {
    assertRefused(() => loadConfig(['--data-dir=', 'extra'], {}), 'UNEXPECTED_ARGUMENT', 'extra');
  });

  it('refuses a value flag at the end of the line with no value', () => {
    assertRefused(() => loadConfig(['--name'], {}), 'MISSING_VALUE', 'name', '--name');
  });

  it('accepts an ignored etcd flag with a debug notice', () => {
    const c = loadConfig(['--enable-pprof', '--quota-backend-bytes', '8589934592'], {});
    assert.deepEqual(
      c.notices.map((n) => [n.level, n.key]),
      [
        ['debug', 'enable-pprof'],
        ['debug', 'quota-backend-bytes'],
      ],
    );
  });

  it('asks for help on -h, -help and --help, and for the version on --version', () => {
    assert.equal(commandLineAction(['-h']), 'help');
    assert.equal(commandLineAction(['-help']), 'help');
    assert.equal(commandLineAction(['--name', 'x', '--help']), 'help');
    assert.equal(commandLineAction(['--version']), 'version');
    assert.equal(commandLineAction(['--name', 'x']), 'start');
  });
});
