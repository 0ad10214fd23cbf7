// Preloaded into every test process by test/run.mjs: gives each test() and
// it() that names no timeout of its own a default one, so a hung test fails
// with its name instead of stalling the run. (Node 20's --test-timeout bounds
// a whole file, not a test.) A top-level test's time includes its subtests.
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);
const nodeTest = require('node:test');
const TIMEOUT_MS = Number(process.env.KVD_TEST_TIMEOUT_MS ?? 90_000);

/** The same test function, with `timeout` filled in when the caller gave none. */
function withDefaultTimeout(original) {
  const wrapped = function (...args) {
    const name = typeof args[0] === 'string' ? args.shift() : undefined;
    const options = typeof args[0] === 'object' && args[0] !== null ? args.shift() : {};
    return original(name, { timeout: TIMEOUT_MS, ...options }, ...args);
  };
  // test.skip, test.after, test.describe ... stay as they were.
  for (const key of Object.keys(original)) wrapped[key] = original[key];
  return wrapped;
}

nodeTest.test = withDefaultTimeout(nodeTest.test);
nodeTest.it = withDefaultTimeout(nodeTest.it);
syncBuiltinESMExports();
