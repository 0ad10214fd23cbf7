#!/usr/bin/env node
// Proves that the guard rails bite: in a scratch copy of the repository, each
// breakage below must make `npm run lint` or `npm run typecheck` fail, naming
// the rule it broke. A rule that lets its breakage through fails this check.
//   node tools/lint/selfcheck.mjs
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** A scratch copy of the tracked and new files of the work tree, sharing node_modules. */
function copyRepo() {
  const dir = mkdtempSync(join(tmpdir(), 'kvd-lint-selfcheck-'));
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    try {
      cpSync(join(root, file), join(dir, file));
    } catch (err) {
      if (err.code !== 'ENOENT') throw err; // deleted in the work tree but not yet in the index
    }
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** The breakages, each with the command that must fail and the text its output must hold. */
const cases = [
  {
    what: 'lib/raft/raft.ts imports lib/server',
    breakIn: (dir) =>
      appendFileSync(join(dir, 'lib/raft/raft.ts'), "\nexport * as _server from '../server/index.js';\n"),
    script: 'lint',
    expect: ['raft-imports-nothing-of-kvd'],
  },
  {
    what: 'lib/raft imports a package',
    breakIn: (dir) => appendFileSync(join(dir, 'lib/raft/raft.ts'), "\nexport * as _avro from 'avsc';\n"),
    script: 'lint:deps',
    expect: ['raft-is-pure'],
  },
  {
    what: 'a shipped tool imports a devDependency',
    breakIn: (dir) =>
      appendFileSync(join(dir, 'tools/segdump/describers.ts'), "\nexport * as _fc from 'fast-check';\n"),
    script: 'lint:deps',
    expect: ['not-to-dev-dep'],
  },
  {
    what: 'lib/storage imports lib/store',
    breakIn: (dir) =>
      appendFileSync(join(dir, 'lib/storage/index.ts'), "\nexport * as _store from '../store/index.js';\n"),
    script: 'lint:deps',
    expect: ['storage-knows-no-keys'],
  },
  {
    what: 'lib/store imports lib/api',
    breakIn: (dir) => appendFileSync(join(dir, 'lib/store/index.ts'), "\nexport * as _api from '../api/index.js';\n"),
    script: 'lint:deps',
    expect: ['storage-and-store-never-import-api-or-server', 'store-knows-no-raft'],
  },
  {
    what: 'a tool imports lib/server',
    breakIn: (dir) =>
      appendFileSync(
        join(dir, 'tools/segdump/describers.ts'),
        "\nexport * as _server from '../../lib/server/index.js';\n",
      ),
    script: 'lint:deps',
    expect: ['tools-never-import-the-server'],
  },
  {
    what: 'lib/proposal imports lib/store',
    breakIn: (dir) =>
      appendFileSync(join(dir, 'lib/proposal/index.ts'), "\nexport * as _store from '../store/index.js';\n"),
    script: 'lint:deps',
    expect: ['proposal-is-vocabulary'],
  },
  {
    what: 'lib/history imports lib/transport',
    breakIn: (dir) =>
      appendFileSync(join(dir, 'lib/history/index.ts'), "\nexport * as _transport from '../transport/index.js';\n"),
    script: 'lint:deps',
    expect: ['history-reads-the-log-below-the-member'],
  },
  {
    what: 'lib/assert.ts imports a module',
    breakIn: (dir) => appendFileSync(join(dir, 'lib/assert.ts'), "\nexport * as _wire from './wire/index.js';\n"),
    script: 'lint:deps',
    expect: ['assert-imports-nothing'],
  },
  {
    what: 'a cycle between two files of a module',
    breakIn: (dir) => appendFileSync(join(dir, 'lib/server/member.ts'), "\nexport * as _start from './start.js';\n"),
    script: 'lint:deps',
    expect: ['no-circular'],
  },
  {
    what: "a module reaches past another module's index.ts",
    breakIn: (dir) =>
      appendFileSync(join(dir, 'lib/metrics/index.ts'), "\nexport * as _deep from '../store/node.js';\n"),
    script: 'lint:deps',
    expect: ['imports-only-through-index'],
  },
  {
    what: 'the type-aware rules and the Raft purity rules',
    breakIn: (dir) => {
      const file = join(dir, 'lib/raft/lint-selfcheck.ts');
      writeFileSync(
        file,
        [
          "type Shape = { kind: 'a' } | { kind: 'b' };",
          'export function side(s: Shape): number {',
          '  switch (s.kind) {',
          "    case 'a':",
          '      return 1;',
          '  }',
          '  return 0;',
          '}',
          'export async function work(): Promise<void> {}',
          'export function fire(): void {',
          '  work();',
          '  [1].forEach(async () => work());',
          '}',
          'export const when = Date.now();',
          'export const late = setTimeout(() => undefined, 1);',
          'export const sure = ([1] as number[] | undefined)!;',
          '',
        ].join('\n'),
      );
    },
    script: 'lint:ts',
    expect: [
      '@typescript-eslint/switch-exhaustiveness-check',
      '@typescript-eslint/no-floating-promises',
      '@typescript-eslint/no-misused-promises',
      'no-restricted-properties',
      'no-restricted-globals',
      'more non-null assertions than the budget allows',
    ],
  },
  {
    what: 'a type error in a test file',
    breakIn: (dir) =>
      appendFileSync(join(dir, 'test/raft/election.test.ts'), "\nexport const _wrong: number = 'not a number';\n"),
    script: 'typecheck',
    expect: ['test/raft/election.test.ts', 'TS2322'],
  },
];

let failures = 0;
for (const c of cases) {
  const dir = copyRepo();
  try {
    c.breakIn(dir);
    const run = spawnSync('npm', ['run', '--silent', c.script], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
    const output = run.stdout + run.stderr;
    const missing = c.expect.filter((text) => !output.includes(text));
    if (run.status === 0 || missing.length > 0) {
      failures++;
      console.error(
        `FAIL ${c.what}: \`npm run ${c.script}\` exited ${run.status}${missing.length ? `, output lacks ${missing.join(', ')}` : ''}`,
      );
      console.error(output.split('\n').slice(-40).join('\n'));
    } else {
      console.log(`ok   ${c.what}: \`npm run ${c.script}\` fails with ${c.expect.join(', ')}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(
  failures === 0
    ? 'lint self-check: every breakage was caught'
    : `lint self-check: ${failures} breakage(s) got through`,
);
process.exit(failures === 0 ? 0 : 1);
