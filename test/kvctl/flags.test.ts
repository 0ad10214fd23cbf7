// etcdctl's flag rules (Go's flag package behind urfave/cli v1.22), checked
// without a server: values stay as typed and each kind is validated as Go does.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  type FlagSpec,
  UsageError,
  parseFlags,
  parseGoDuration,
  parseGoInt,
  reorderArgs,
} from '../../lib/client/ctl/flags.js';

const specs: FlagSpec[] = [
  { names: ['ttl'], kind: 'int', usage: '', default: '0' },
  { names: ['swap-with-value'], kind: 'string', usage: '' },
  { names: ['recursive', 'r'], kind: 'bool', usage: '' },
  { names: ['timeout'], kind: 'duration', usage: '', default: '2s' },
];

describe('Go integer flags', () => {
  test('accept base prefixes and underscores as strconv.ParseInt(s, 0, 64) does', () => {
    assert.equal(parseGoInt('0x10'), 16n);
    assert.equal(parseGoInt('010'), 8n);
    assert.equal(parseGoInt('0b101'), 5n);
    assert.equal(parseGoInt('-0o17'), -15n);
    assert.equal(parseGoInt('1_000'), 1000n);
    assert.equal(parseGoInt('0'), 0n);
  });

  test('refuse what Go refuses, telling syntax from range', () => {
    for (const bad of ['', 'abc', '0x', '1__0', '_1', '08', '1.5', ' 1'])
      assert.equal(parseGoInt(bad), 'parse error', bad);
    assert.equal(parseGoInt('9223372036854775808'), 'value out of range');
    assert.equal(parseGoInt('-9223372036854775808'), -(2n ** 63n));
  });
});

describe('Go duration flags', () => {
  test('parse as time.ParseDuration, in milliseconds', () => {
    assert.equal(parseGoDuration('2s'), 2000);
    assert.equal(parseGoDuration('1m30s'), 90_000);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('300ms'), 300);
    assert.equal(parseGoDuration('0'), 0);
  });

  test('refuse a number without a unit', () => {
    for (const bad of ['1', '', 's', '1x', '.s']) assert.equal(parseGoDuration(bad), null, bad);
  });
});

describe('parseFlags', () => {
  test('keeps string values exactly as typed', () => {
    const { flags, args } = parseFlags(specs, ['--swap-with-value', '0x10', '--ttl', '0x10', '/k', 'v']);
    assert.equal(flags.string('swap-with-value'), '0x10');
    assert.equal(flags.int('ttl'), 16n);
    assert.deepEqual(args, ['/k', 'v']);
  });

  test('stops at the first non-flag and consumes a lone "--"', () => {
    assert.deepEqual(parseFlags(specs, ['/k', '--ttl', '1']).args, ['/k', '--ttl', '1']);
    assert.deepEqual(parseFlags(specs, ['--', '-1']).args, ['-1']);
  });

  test('takes -name and --name=value alike, and a flag value may start with a dash', () => {
    const { flags } = parseFlags(specs, ['-ttl=5', '-swap-with-value', '-x']);
    assert.equal(flags.int('ttl'), 5n);
    assert.equal(flags.string('swap-with-value'), '-x');
  });

  test("words errors with Go's texts", () => {
    const cases: [string[], string][] = [
      [['--ttl', 'abc'], 'invalid value "abc" for flag -ttl: parse error'],
      [['--ttl='], 'invalid value "" for flag -ttl: parse error'],
      [['--recursive=maybe'], 'invalid boolean value "maybe" for -recursive: parse error'],
      [['--nosuch'], 'flag provided but not defined: -nosuch'],
      [['---ttl=3'], 'bad flag syntax: ---ttl=3'],
      [['--ttl'], 'flag needs an argument: -ttl'],
      [['--timeout', '1'], 'invalid value "1" for flag -timeout: parse error'],
      [['-r', '--recursive'], 'Cannot use two forms of the same flag: r recursive'],
    ];
    for (const [argv, message] of cases)
      assert.throws(() => parseFlags(specs, argv), new UsageError(message), argv.join(' '));
  });

  test('gives defaults for absent flags', () => {
    const { flags } = parseFlags(specs, []);
    assert.equal(flags.int('ttl'), 0n);
    assert.equal(flags.duration('timeout'), 2000);
    assert.equal(flags.bool('r'), false);
  });
});

describe('reorderArgs (urfave/cli v1.22)', () => {
  test('moves known flags and their values in front of the arguments', () => {
    assert.deepEqual(reorderArgs(specs, ['/k', 'v', '--ttl', '5']), ['--ttl', '5', '/k', 'v']);
  });

  test('leaves unknown dashed words among the arguments', () => {
    assert.deepEqual(reorderArgs(specs, ['/k', '-1']), ['/k', '-1']);
  });

  test('puts "--" first and keeps everything after it in place', () => {
    assert.deepEqual(reorderArgs(specs, ['/k', '--', '--ttl', '5']), ['--', '/k', '--ttl', '5']);
  });

  test('lets a bool flag carry the next word along, as etcdctl does', () => {
    assert.deepEqual(reorderArgs(specs, ['/a', '--recursive', '/b']), ['--recursive', '/b', '/a']);
  });
});
