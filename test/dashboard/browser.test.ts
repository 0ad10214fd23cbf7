// The dashboard in a real headless Chromium (Debian's chromium package)
// against real member processes: what an operator sees, clicks and waits for.
// Screenshots of each view go to $KVD_SCREENSHOT_DIR (default: a new
// kvd-dashboard-screenshots-* folder in the system temp dir per run, so
// concurrent runs do not clear each other's) for review.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { eventually, freePort, httpRequest, startCluster, tempDir, leaderOf } from '../support/procs.js';
import { cleanUp, clientTls, Kvd, memberFlags, waitHttpsReady } from '../security/helpers.js';
import { TestPki } from '../tls/pki.js';

const CHROMIUM = process.env.KVD_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run installs it)`;
const SHOTS = process.env.KVD_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'kvd-dashboard-screenshots-'));
/** How long a condition in the page may take before the test fails. */
const WAIT_MS = 15_000;

/** Flags that keep Chromium from reaching for the network on its own. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--mute-audio',
];

/** Chromium with a fresh profile; closed, and its profile removed, when the test ends. */
type ContextOptions = NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>;

async function openBrowser(
  t: TestContext,
  options: Omit<ContextOptions, 'executablePath' | 'headless' | 'args'> = {},
): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'kvd-chromium-profile-'));
  let context: BrowserContext | null = null;
  // One hook, so that the profile is removed only after Chromium has let go of it.
  t.after(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1360, height: 900 },
    timeout: 30_000,
    ...options,
  });
  return context;
}

/** A figure as the page prints it ("0.42 ms", "2.31 s") in milliseconds; NaN for anything else. */
function parseMs(text: string): number {
  const m = /^([\d.]+) (ms|s)$/.exec(text.trim());
  if (m === null) return NaN;
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

/** page.waitForFunction, but a timeout leaves a screenshot and the page's text behind. */
async function waitInPage<A>(page: Page, what: string, fn: (arg: A) => boolean, arg?: A): Promise<void> {
  try {
    await page.waitForFunction(fn as (arg: unknown) => boolean, arg, { timeout: WAIT_MS });
  } catch (err) {
    await shot(page, `FAILED ${what}`).catch(() => {});
    const text = (await page.textContent('main').catch(() => '')) ?? '';
    throw new Error(`${what}: ${(err as Error).message}\npage text: ${text.slice(0, 2000)}`);
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Every follower row of the latency table, as { id, state, current, max }. */
function followerRows(page: Page) {
  return page.$$eval('[data-testid="followers"] tbody tr', (trs) =>
    trs.map((tr) => {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
      const name = tr.querySelector('.member-name')?.textContent ?? '';
      return {
        id: tr.getAttribute('data-follower') ?? '',
        state: tr.getAttribute('data-state') ?? '',
        name,
        current: cells[3] ?? '',
        max: cells[7] ?? '',
      };
    }),
  );
}

test(
  'the dashboard in headless Chromium against a live three-member cluster',
  { skip, timeout: 120_000 },
  async (t) => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    t.diagnostic(`screenshots in ${SHOTS}`);
    const members = await startCluster(t, 3);
    const leader = await leaderOf(members);
    const followers = members.filter((m) => m !== leader);
    const names = members.map((m) => m.spec.name);
    const origins = new Set(members.map((m) => new URL(m.clientURL).origin));

    const context = await openBrowser(t);
    const requested: string[] = [];
    const problems: string[] = [];
    context.on('request', (r) => requested.push(r.url()));
    context.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} for ${r.request().method()} ${r.url()}`);
    });
    const page = await context.newPage();
    const watchPage = (p: Page) => {
      p.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
      });
      p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    };
    watchPage(page);

    await t.test(
      'on the leader, the latency view names every member and shows each follower in ms, one line each',
      async () => {
        await page.goto(`${leader.clientURL}/dashboard/`);
        await waitInPage(
          page,
          'two follower rows',
          () => document.querySelectorAll('[data-testid="followers"] tbody tr').length === 2,
        );
        await waitInPage(page, 'every current latency in ms', () =>
          [...document.querySelectorAll('[data-testid="followers"] td[data-field="current"]')].every((td) =>
            / m?s$/.test(td.textContent ?? ''),
          ),
        );
        const rows = await followerRows(page);
        assert.deepEqual(rows.map((r) => r.name).sort(), followers.map((f) => f.spec.name).sort());
        for (const r of rows) assert.ok(parseMs(r.current) >= 0, `current latency of ${r.name}: ${r.current}`);
        const text = await page.textContent('body');
        for (const name of names) assert.ok(text!.includes(name), `${name} is not on the page`);
        assert.match(
          (await page.textContent('[data-testid="served-by"]'))!,
          new RegExp(`served by ${leader.spec.name}, the leader`),
        );
        assert.equal(await page.getAttribute('#view-latency .chart', 'data-lines'), '2');
        await shot(page, 'latency-leader');
      },
    );

    await t.test('on a follower, the latency view shows the leader’s view, fetched through the leader', async () => {
      const other = await context.newPage();
      watchPage(other);
      t.after(() => other.close());
      await other.goto(`${followers[0]!.clientURL}/dashboard/`);
      await waitInPage(
        other,
        'two follower rows on the follower',
        () => document.querySelectorAll('[data-testid="followers"] tbody tr').length === 2,
      );
      await waitInPage(other, 'the view fetched through the leader', () =>
        document.body.textContent!.includes('fetched through the leader'),
      );
      const rows = await followerRows(other);
      assert.deepEqual(rows.map((r) => r.id).sort(), (await followerRows(page)).map((r) => r.id).sort());
      const text = await other.textContent('body');
      for (const name of names) assert.ok(text!.includes(name), `${name} is not on the follower's page`);
      await shot(other, 'latency-follower');
    });

    await t.test(
      'a follower paused with SIGSTOP shows as not answering, and after SIGCONT answers again with the pause in its maximum',
      async () => {
        const paused = followers[1]!;
        const id = await eventually(
          async () => (await followerRows(page)).find((r) => r.name === paused.spec.name)?.id,
          WAIT_MS,
          'the paused follower’s row',
        );
        const row = `[data-testid="followers"] tr[data-follower="${id}"]`;
        const maxBefore = parseMs((await page.textContent(`${row} td:nth-child(8)`))!);
        paused.proc!.kill('SIGSTOP');
        t.after(() => paused.proc?.kill('SIGCONT'));
        await page.waitForSelector(`${row}[data-state="silent"]`, { timeout: WAIT_MS });
        await waitInPage(
          page,
          'the paused follower shown silent',
          (sel) => /no answer for [\d.]+ s/.test(document.querySelector(sel)?.textContent ?? ''),
          `${row} td.col-state`,
        );
        await waitInPage(
          page,
          'a warning about the silent follower',
          () => document.querySelector('[data-testid="latency-notice"]')?.getAttribute('data-level') === 'warn',
        );
        await shot(page, 'latency-follower-paused');
        // Long enough that the first answer after the pause is clearly slower than any before it.
        await eventually(
          async () => /no answer for ([2-9]|\d\d)/.test((await page.textContent(`${row} td.col-state`)) ?? ''),
          WAIT_MS,
          'two seconds of silence',
        );
        paused.proc!.kill('SIGCONT');
        await page.waitForSelector(`${row}[data-state="ok"]`, { timeout: WAIT_MS });
        const maxAfter = await eventually(
          async () => {
            const ms = parseMs((await page.textContent(`${row} td:nth-child(8)`))!);
            return ms >= 1500 ? ms : null;
          },
          WAIT_MS,
          'the pause to show in the maximum',
        );
        assert.ok(maxAfter > maxBefore, `maximum ${maxAfter} ms after the pause, ${maxBefore} ms before`);
        await eventually(
          async () => parseMs((await page.textContent(`${row} td[data-field="current"]`))!) < 1000,
          WAIT_MS,
          'the current latency to recover',
        );
        await shot(page, 'latency-follower-recovered');
      },
    );

    await t.test('the cluster view lists every member with its role, health and indexes', async () => {
      await page.click('#tab-cluster');
      await waitInPage(
        page,
        'three healthy members',
        () => document.querySelectorAll('[data-testid="members"] tbody tr[data-health="healthy"]').length === 3,
      );
      const rows = await page.$$eval('[data-testid="members"] tbody tr', (trs) =>
        trs.map((tr) => tr.textContent ?? ''),
      );
      for (const name of names)
        assert.ok(
          rows.some((r) => r.includes(name)),
          `${name} is not in the member table`,
        );
      assert.equal(rows.filter((r) => r.includes('★ leader')).length, 1);
      assert.match((await page.textContent('[data-testid="cluster-summary"]'))!, /3 of 3 members healthy; .* leads/);
      await waitInPage(
        page,
        'three lines per cluster chart',
        () => document.querySelector('#view-cluster .chart')?.getAttribute('data-lines') === '3',
      );
      await shot(page, 'cluster');
    });

    await t.test('the keys view creates, reads and deletes a key, asking before each write', async () => {
      await page.click('#tab-keys');
      await page.fill('[data-testid="set-key"]', '/dash/greeting');
      await page.fill('[data-testid="set-value"]', 'hello from chromium');
      await page.click('[data-testid="set-submit"]');
      await page.waitForSelector('dialog.confirm[open]', { timeout: WAIT_MS });
      await shot(page, 'keys-confirm-set');
      await page.click('[data-testid="confirm-ok"]');
      await waitInPage(
        page,
        'the new key shown',
        () => document.querySelector('[data-testid="detail-value"]')?.textContent === 'hello from chromium',
      );
      const stored = await httpRequest('GET', `${followers[0]!.clientURL}/v2/keys/dash/greeting?quorum=true`);
      assert.equal(stored.json.node.value, 'hello from chromium');
      await page.waitForSelector('[data-testid="key-tree"] li[data-key="/dash/greeting"]', { timeout: WAIT_MS });
      await shot(page, 'keys');
      await page.click('[data-testid="delete-key"]');
      await page.waitForSelector('dialog.confirm[open]', { timeout: WAIT_MS });
      await page.click('[data-testid="confirm-ok"]');
      await waitInPage(
        page,
        'the deletion confirmed',
        () => document.querySelector('[data-testid="keys-message"]')?.textContent === '/dash/greeting deleted.',
      );
      const gone = await httpRequest('GET', `${leader.clientURL}/v2/keys/dash/greeting?quorum=true`);
      assert.equal(gone.status, 404);
    });

    await t.test('cancelling the confirmation writes nothing', async () => {
      await page.fill('[data-testid="set-key"]', '/dash/never');
      await page.fill('[data-testid="set-value"]', 'x');
      await page.click('[data-testid="set-submit"]');
      await page.click('[data-testid="confirm-cancel"]');
      await page.waitForSelector('dialog.confirm', { state: 'detached', timeout: WAIT_MS });
      const r = await httpRequest('GET', `${leader.clientURL}/v2/keys/dash/never?quorum=true`);
      assert.equal(r.status, 404);
    });

    await t.test('a live watch on a prefix shows an event as it happens', async () => {
      await page.fill('[data-testid="watch-prefix"]', '/watched');
      await page.click('[data-testid="watch-toggle"]');
      await page.waitForSelector('[data-testid="watch-state"][data-state="live"]', { timeout: WAIT_MS });
      const put = await httpRequest('PUT', `${followers[0]!.clientURL}/v2/keys/watched/door`, 'value=open');
      assert.equal(put.status, 201);
      await page.waitForFunction(
        () => {
          const li = document.querySelector('[data-testid="watch-events"] li[data-action="set"]');
          return li !== null && li.textContent!.includes('/watched/door') && li.textContent!.includes('open');
        },
        null,
        { timeout: WAIT_MS },
      );
      await shot(page, 'keys-watch');
      await page.click('[data-testid="watch-toggle"]');
    });

    await t.test('the pages logged no error and loaded nothing from outside the member', () => {
      assert.deepEqual(problems, []);
      assert.ok(requested.length > 0);
      const outside = requested.filter((u) => !origins.has(new URL(u).origin));
      assert.deepEqual(outside, []);
    });
  },
);

test(
  'a one-member cluster over HTTPS with client-cert auth, in a browser presenting its certificate',
  { skip, timeout: 60_000 },
  async (t) => {
    const pki = new TestPki();
    t.after(async () => {
      await cleanUp();
      pki.remove();
    });
    const server = pki.issue('server');
    const client = pki.issue('client', { cn: 'kvd-client' });
    const url = `https://127.0.0.1:${await freePort()}`;
    const member = new Kvd(
      'm1',
      memberFlags({
        name: 'm1',
        dataDir: join(tempDir(t), 'data'),
        listenClientUrls: [url],
        peerUrl: `http://127.0.0.1:${await freePort()}`,
        extra: [
          '--cert-file',
          server.certFile,
          '--key-file',
          server.keyFile,
          '--client-cert-auth',
          '--trusted-ca-file',
          pki.caFile,
        ],
      }),
    ).start();
    await waitHttpsReady(member, `${url}/health`, clientTls(pki.caFile, client));
    const context = await openBrowser(t, {
      // The test CA is not in Chromium's store; what is under test is the client certificate.
      ignoreHTTPSErrors: true,
      clientCertificates: [{ origin: url, certPath: client.certFile, keyPath: client.keyFile }],
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });

    await t.test('the page loads over HTTPS with the client certificate presented', async () => {
      const response = await page.goto(`${url}/dashboard/`);
      assert.equal(response?.status(), 200);
    });

    await t.test('the latency view explains that one member has no follower latency to show', async () => {
      await waitInPage(page, 'the one-member explanation', () =>
        /one member, m1, and it leads with no followers/.test(
          document.querySelector('[data-testid="latency-notice"]')?.textContent ?? '',
        ),
      );
      assert.equal(await page.$$eval('[data-testid="followers"] tbody tr', (trs) => trs.length), 0);
      await shot(page, 'latency-one-member');
    });

    await t.test('the cluster view says one member is its own majority', async () => {
      await page.click('#tab-cluster');
      await waitInPage(page, 'the one-member cluster summary', () =>
        /^One member: m1 leads/.test(document.querySelector('[data-testid="cluster-summary"]')?.textContent ?? ''),
      );
      await shot(page, 'cluster-one-member');
    });

    await t.test('the page logged no error', () => {
      assert.deepEqual(problems, []);
    });
  },
);

test(
  'with auth enabled, the keys view asks to sign in and then shows what the user may read',
  { skip, timeout: 90_000 },
  async (t) => {
    const [m] = await startCluster(t, 1);
    const base = m!.clientURL;
    const basic = (user: string, password: string) => ({
      authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64'),
    });
    const send = (method: string, path: string, body: string | undefined, headers: Record<string, string> = {}) =>
      fetch(base + path, {
        method,
        body,
        headers: {
          ...headers,
          ...(body
            ? { 'content-type': path.startsWith('/v2/keys') ? 'application/x-www-form-urlencoded' : 'application/json' }
            : {}),
        },
      });
    assert.equal(
      (await send('PUT', '/v2/auth/users/root', JSON.stringify({ user: 'root', password: 'rootpw' }))).status,
      201,
    );
    assert.equal(
      (
        await send(
          'PUT',
          '/v2/auth/roles/guest',
          JSON.stringify({ role: 'guest', permissions: { kv: { read: [], write: [] } } }),
        )
      ).status,
      201,
    );
    assert.equal((await send('PUT', '/v2/keys/secret/k', 'value=behind auth')).status, 201);
    assert.equal((await send('PUT', '/v2/auth/enable', undefined)).status, 200);
    assert.equal((await send('GET', '/v2/keys/secret/k', undefined)).status, 401);

    const context = await openBrowser(t);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));

    await t.test('the first refused request opens the sign-in dialog', async () => {
      await page.goto(`${base}/dashboard/#keys`);
      await page.waitForSelector('[data-testid="sign-in-dialog"]', { timeout: WAIT_MS });
      await shot(page, 'sign-in');
    });

    await t.test('signed in as root, the tree shows the keys', async () => {
      await page.fill('[data-testid="sign-in-user"]', 'root');
      await page.fill('[data-testid="sign-in-password"]', 'rootpw');
      await page.click('[data-testid="sign-in-submit"]');
      await page.waitForSelector('[data-testid="key-tree"] li[data-key="/secret"]', { timeout: WAIT_MS });
      assert.equal(await page.textContent('[data-testid="signed-in-as"]'), 'signed in as root');
    });

    await t.test('a key set from the page is written as the signed-in user', async () => {
      await page.fill('[data-testid="set-key"]', '/secret/from-page');
      await page.fill('[data-testid="set-value"]', 'typed');
      await page.click('[data-testid="set-submit"]');
      await page.click('[data-testid="confirm-ok"]');
      await waitInPage(
        page,
        'the new key shown',
        () => document.querySelector('[data-testid="detail-value"]')?.textContent === 'typed',
      );
      const r = await send('GET', '/v2/keys/secret/from-page', undefined, basic('root', 'rootpw'));
      assert.equal(((await r.json()) as { node: { value: string } }).node.value, 'typed');
    });

    await t.test('signing out offers to sign in again', async () => {
      await page.click('[data-testid="sign-out"]');
      await page.waitForSelector('[data-testid="sign-in"]', { timeout: WAIT_MS });
      assert.deepEqual(errors, []);
    });
  },
);
