// Module boundaries (docs/ARCHITECTURE.md draws the same map). Each module
// under lib/ is one folder with one public surface, its index.ts; the rules
// below are the arrows shared/DESIGN.md forbids. `npm run lint` runs them;
// `npm run lint:selfcheck` proves that breaking one fails the lint.

/** A module's public surface: what another module may import. */
const INDEX = '^lib/[^/]+/index\\.ts$';
/** kvctl lives inside lib/client (it uses the client through ../index.ts) and has its own surface. */
const CTL_INDEX = '^lib/client/ctl/index\\.ts$';
/** A module of one file (lib/assert.ts) is its own surface. */
const SINGLE_FILE = '^lib/[^/]+\\.ts$';

/** lib/assert.ts imports nothing: any module may check its invariants with it. */
const ASSERT = '^lib/assert\\.ts$';

/** Forbids `from` to import any kvd module but those in `allowed` (folder names under lib/) and lib/assert.ts. */
function onlyImports(name, from, allowed, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: `^lib/${from}/` },
    to: { path: '^(lib|cmd|tools|test|web)/', pathNot: [`^lib/${from}/`, ASSERT, ...allowed.map((m) => `^lib/${m}/`)] },
  };
}

module.exports = {
  forbidden: [
    // --- what shared/DESIGN.md says a module must never do ---
    onlyImports(
      'raft-imports-nothing-of-kvd',
      'raft',
      ['wire'],
      'The Raft core is pure: it shares only the wire/log vocabulary.',
    ),
    {
      name: 'raft-is-pure',
      comment:
        'No I/O, clocks or timers in the Raft core: no Node built-ins and no packages (lib/wire carries avsc for it).',
      severity: 'error',
      from: { path: '^lib/raft/' },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'assert-imports-nothing',
      comment: 'Every module may check its invariants with lib/assert.ts, so it imports none of them.',
      severity: 'error',
      from: { path: ASSERT },
      to: { path: '^(lib|cmd|tools|test|web)/', pathNot: ASSERT },
    },
    onlyImports(
      'wire-is-a-leaf',
      'wire',
      [],
      'The wire and log types are shared by raft, storage, transport and tools: they depend on none of them.',
    ),
    onlyImports(
      'errors-is-a-leaf',
      'errors',
      [],
      'The error registry is shared by api, server and store: it depends on none of them.',
    ),
    onlyImports(
      'proposal-is-vocabulary',
      'proposal',
      ['wire'],
      "What an entry's data says is shared by store, auth, server, api and tools: it depends only on the entry types.",
    ),
    onlyImports(
      'state-is-below-the-member',
      'state',
      ['wire', 'proposal', 'store', 'auth', 'errors'],
      'What committed entries build is read by tools without a member: it never imports the Raft core, storage, transport or the server.',
    ),
    onlyImports(
      'store-knows-no-raft',
      'store',
      ['errors', 'proposal'],
      'The key tree knows nothing of Raft, storage, transport or the server: the time of a mutation comes from its log entry.',
    ),
    onlyImports(
      'storage-knows-no-keys',
      'storage',
      ['wire', 'errors', 'log'],
      'Storage keeps records; it never knows what a key is.',
    ),
    {
      name: 'storage-and-store-never-import-api-or-server',
      comment: 'The layers below the member never reach up to it.',
      severity: 'error',
      from: { path: '^lib/(storage|store)/' },
      to: { path: '^lib/(api|server)/' },
    },
    onlyImports(
      'history-reads-the-log-below-the-member',
      'history',
      ['wire', 'storage', 'store', 'errors'],
      'The log as an event store reads segments and snapshot files through storage and replays them on a state machine the server hands in: it never imports the Raft core, the transport, the state machine or the server.',
    ),
    onlyImports(
      'transport-decides-nothing-about-raft',
      'transport',
      ['wire', 'tls', 'log', 'metrics', 'errors'],
      'The transport moves messages; it never imports the Raft core, the server, the store or storage.',
    ),
    {
      name: 'api-touches-the-tree-only-through-the-server',
      comment: "lib/api may name the store's types, never call into the tree.",
      severity: 'error',
      from: { path: '^lib/api/' },
      to: { path: '^lib/store/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'api-never-reaches-below-the-server',
      comment: 'The client surface talks to the member, not to its Raft core, storage or transport.',
      severity: 'error',
      from: { path: '^lib/api/' },
      to: { path: '^lib/(raft|storage|transport|wire)/' },
    },
    {
      name: 'nothing-below-imports-the-member',
      comment: 'Only the api, cmd and tools may sit above lib/server.',
      severity: 'error',
      from: { path: '^lib/', pathNot: '^lib/(server|api)/' },
      to: { path: '^lib/(server|api)/' },
    },
    {
      name: 'client-is-standalone',
      comment: "kvctl's client speaks HTTP to a cluster; it links none of the member.",
      severity: 'error',
      from: { path: '^lib/client/' },
      to: { path: '^lib/', pathNot: ['^lib/client/', '^lib/(progress|errors|log)/'] },
    },
    {
      name: 'tools-never-import-the-server',
      comment: 'Operator tools read the log and snapshots through storage and the wire types, not through a member.',
      severity: 'error',
      from: { path: '^tools/' },
      to: { path: '^lib/server/' },
    },
    {
      name: 'lib-never-imports-cmd-tools-or-test',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(cmd|tools|test|web)/' },
    },
    {
      name: 'cmd-and-tools-never-import-test',
      severity: 'error',
      from: { path: '^(cmd|tools)/' },
      to: { path: '^test/' },
    },
    // --- one public surface per module ---
    {
      name: 'imports-only-through-index',
      comment: 'Another module is reached through its index.ts only (tests may reach further).',
      severity: 'error',
      from: { path: '^lib/([^/]+)/' },
      to: { path: '^lib/', pathNot: ['^lib/$1/', INDEX, CTL_INDEX, SINGLE_FILE] },
    },
    {
      name: 'cmd-and-tools-only-through-index',
      comment: 'cmd and tools reach lib modules through their index.ts only.',
      severity: 'error',
      from: { path: '^(cmd|tools)/' },
      to: { path: '^lib/', pathNot: [INDEX, CTL_INDEX, SINGLE_FILE] },
    },
    // --- hygiene ---
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one; split or invert it.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-dev-dep',
      comment: 'What ships may not need a devDependency at run time (the benchmarks and the lint runner do not ship).',
      severity: 'error',
      from: { path: '^(lib|cmd|tools)/', pathNot: '^tools/(bench|lint)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    // Packages are not followed, but never excluded: the rules on what lib/raft
    // and shipped code may import need to see every package import.
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
