// A second opinion from another client: python-etcd's auth classes (Debian
// python3-etcd, which .ci/run installs) run one scenario against etcd 3.4 and
// against kvd, and must see the same results and the same exceptions.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { EtcdProcess, etcdSkip } from '../support/etcd.js';
import { freePort, MemberProcess, memberArgs, tempDir, waitReady } from '../support/procs.js';

const PYTHON = '/usr/bin/python3';
const scenario = new URL('./python/scenario.py', import.meta.url).pathname;
const hasPythonEtcd = spawnSync(PYTHON, ['-c', 'import etcd.auth'], { stdio: 'ignore' }).status === 0;
const skip = etcdSkip || (hasPythonEtcd ? false : 'python3-etcd (Debian) is not installed; .ci/run installs it');

function runScenario(hostPort: string): string {
  // A fixed hash seed: python-etcd sends patterns in set order.
  const r = spawnSync(PYTHON, [scenario, hostPort], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: '/usr/bin:/bin', PYTHONHASHSEED: '0' },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test(
  'python-etcd sees the same users, roles, permissions and refusals from kvd as from etcd',
  { skip, timeout: 120_000 },
  async (t) => {
    const etcd = await EtcdProcess.start(t);
    const spec = {
      name: 'py',
      clientPort: await freePort(),
      peerPort: await freePort(),
      dataDir: join(tempDir(t), 'py.kvd'),
    };
    const m = new MemberProcess(spec, memberArgs(spec, `py=http://127.0.0.1:${spec.peerPort}`, 'new'));
    t.after(() => m.kill());
    m.start();
    await waitReady(m);
    const want = runScenario(`127.0.0.1:${etcd.clientPort}`);
    const got = runScenario(`127.0.0.1:${spec.clientPort}`);
    assert.equal(got, want);
    assert.match(
      want,
      /^alice-write-other EtcdInsufficientPermissions /m,
      'the scenario reached the permission checks',
    );
  },
);
