// Preloaded into every test process by test/run.mjs: a test file's process
// appends its wall time (start to exit, loading included) to the file named
// by KVD_TEST_TIMES, so the run can name its slowest files.
import { appendFileSync } from 'node:fs';

const out = process.env.KVD_TEST_TIMES;
const file = process.argv[1];
if (out && file?.endsWith('.test.ts')) {
  process.once('exit', () => appendFileSync(out, `${Math.round(process.uptime() * 1000)}\t${file}\n`));
}
