// Lint: type-aware rules from typescript-eslint that catch bugs the compiler
// lets through (a promise nobody awaits, a switch that forgot a case), and the
// purity rules of the Raft core and the key tree. Module boundaries are checked
// by dependency-cruiser (.dependency-cruiser.cjs); style by Prettier.
import tseslint from 'typescript-eslint';

/** Globals through which time, randomness or scheduling would enter. */
const CLOCK_AND_CHANCE = [
  {
    object: 'Date',
    property: 'now',
    message: 'time enters as an argument (an entry time or tick), never from the clock',
  },
  { object: 'Math', property: 'random', message: 'randomness is handed in, never drawn here' },
  { object: 'performance', property: 'now', message: 'time enters as an argument, never from the clock' },
];
const TIMERS = ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'process'].map((name) => ({
  name,
  message: 'the caller schedules; this module only reacts to calls',
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', '**/*.mjs', '**/*.cjs', '**/*.js', '**/*.d.ts'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test runs top-level tests and suites itself; subtests (t.test) must still be awaited.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // The one warning: its count is held by tools/lint/non-null-budget.json (tools/lint/eslint.mjs).
      '@typescript-eslint/no-non-null-assertion': 'warn',
    },
  },
  {
    files: ['lib/raft/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error', ...CLOCK_AND_CHANCE],
      'no-restricted-globals': [
        'error',
        ...TIMERS,
        { name: 'Date', message: 'time enters as tick(), never from the clock' },
      ],
    },
  },
  {
    // The tree may pace its own work (a snapshot encoded a millisecond at a
    // time reads performance.now), but no mutation may depend on the clock.
    files: ['lib/store/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error', ...CLOCK_AND_CHANCE.filter((r) => r.object !== 'performance')],
      'no-restricted-globals': ['error', ...TIMERS],
    },
  },
);
