#!/usr/bin/env node
// Runs ESLint over the tree and holds the non-null assertion budget.
//
// Every rule is an error except @typescript-eslint/no-non-null-assertion, a
// warning whose count per top folder must equal tools/lint/non-null-budget.json:
// more fails (remove the new `!`), fewer fails too until the budget is lowered
// (`node tools/lint/eslint.mjs --lower` writes the smaller figures and never raises
// one), so the figure only goes down.
//   node tools/lint/eslint.mjs [--lower] [--show-budgeted]
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ESLint } from 'eslint';

const root = new URL('../..', import.meta.url).pathname;
const BUDGET_FILE = new URL('./non-null-budget.json', import.meta.url).pathname;
const BUDGETED_RULE = '@typescript-eslint/no-non-null-assertion';
const args = new Set(process.argv.slice(2));

const eslint = new ESLint({ cwd: root });
const results = await eslint.lintFiles(['.']);

/** Counts of budgeted warnings by top folder (lib, test, tools, web, cmd). */
const counts = {};
for (const r of results) {
  const area = relative(root, r.filePath).split('/')[0];
  for (const m of r.messages) if (m.ruleId === BUDGETED_RULE) counts[area] = (counts[area] ?? 0) + 1;
}

// Print everything but the budgeted warnings (hundreds of lines), unless asked.
const shown = results
  .map((r) => {
    const messages = args.has('--show-budgeted') ? r.messages : r.messages.filter((m) => m.ruleId !== BUDGETED_RULE);
    const warningCount = messages.filter((m) => m.severity === 1).length;
    return { ...r, messages, warningCount, errorCount: messages.length - warningCount };
  })
  .filter((r) => r.messages.length > 0);
const text = await (await eslint.loadFormatter('stylish')).format(shown);
if (text) console.log(text);
const problems = shown.reduce((n, r) => n + (args.has('--show-budgeted') ? r.errorCount : r.messages.length), 0);

const budget = JSON.parse(readFileSync(BUDGET_FILE, 'utf8'));
const areas = [...new Set([...Object.keys(budget), ...Object.keys(counts)])].sort();
let over = false;
let under = false;
const rows = areas.map((a) => {
  const have = counts[a] ?? 0;
  const allowed = budget[a] ?? 0;
  if (have > allowed) over = true;
  if (have < allowed) under = true;
  return `  ${a.padEnd(6)} ${String(have).padStart(4)} (budget ${allowed})${have > allowed ? '  OVER' : have < allowed ? '  lower it' : ''}`;
});
console.log(`non-null assertions (${BUDGETED_RULE}), by folder:\n${rows.join('\n')}`);

if (args.has('--lower') && !over) {
  const lowered = Object.fromEntries(areas.map((a) => [a, Math.min(counts[a] ?? 0, budget[a] ?? 0)]));
  writeFileSync(BUDGET_FILE, JSON.stringify(lowered, null, 2) + '\n');
  console.log(`wrote ${relative(root, BUDGET_FILE)}`);
  under = false;
}

let failed = false;
if (problems > 0) {
  console.error(`eslint: ${problems} problem(s) outside the non-null budget`);
  failed = true;
}
if (over) {
  console.error('eslint: more non-null assertions than the budget allows: narrow the value instead of asserting it');
  failed = true;
}
if (under) {
  console.error(
    'eslint: fewer non-null assertions than the budget: run `node tools/lint/eslint.mjs --lower` and commit the new budget',
  );
  failed = true;
}
process.exit(failed ? 1 : 0);
