import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionView } from '../../src/server/api-types.js';
import { LAPTOP, logIn, openContext, PHONE, saveScreenshot } from './chromium.js';
import { PASSWORD, startDashboardFixture, type DashboardFixture } from './dashboard-fixture.js';

// The dashboard in Debian's chromium against a real `slipway server` (dist/cli.js, dist/web) on a real project:
// people log in, watch a deployment wait for approval and go on once approved (live, without reloading), roll
// back, and a viewer sees no button and is refused if they try anyway. Screenshots go to test-artifacts/.

const TEAM = `team:
  alice: { roles: [deployer] }
  bob: { roles: [approver] }
`;
const APPROVALS = '    approvals: { required: [{ role: approver, count: 1 }], expiresAfter: 1h }';

// A browser, a server, agents and targets on a machine shared with other test runs: more time than the default.
describe('dashboard in a browser', { timeout: 120_000 }, () => {
  let f: DashboardFixture;
  let deployerToken: string;
  let approverToken: string;
  const problems: string[] = [];

  beforeAll(async () => {
    f = await startDashboardFixture({
      config: (project) => project.config({ environmentExtra: APPROVALS }) + TEAM,
      releases: ['1.0.0', '2.0.0'],
      users: { alice: 'deployer:production', bob: 'approver:production', victor: 'viewer' },
    });
    deployerToken = await f.server.token('alice', ['deployer:production']);
    approverToken = await f.server.token('bob', ['approver:production']);
  }, 120_000);

  afterAll(async () => f?.dispose());

  const deployThroughApi = (release: string) => f.deployThroughApi(deployerToken, 'production', release);
  const phaseOf = (id: string) => f.phaseOf(deployerToken, id);

  /** Every step's index and state as the page shows them. */
  const shownSteps = (page: Page) =>
    page.$$eval('[data-step-index]', (items) =>
      items.map((i) => `${i.getAttribute('data-step-index')}:${i.getAttribute('data-status')}`),
    );

  it('shows the login page and refuses a wrong password', async () => {
    const { page, problems: seen } = await openContext(f.browser);
    await page.goto(`${f.server.url}/`);
    // Not logged in: after asking the server for a session (401), the app shows the login form.
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await saveScreenshot(page, 'login-laptop');
    await page.getByLabel('User').fill('alice');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).not.toBe('');
    await page.setViewportSize(PHONE);
    await saveScreenshot(page, 'login-phone');
    problems.push(...seen);
    await page.context().close();
  });

  it('shows a deployment live: it waits for approval, an approver approves it on the page, it goes on', async () => {
    const alice = await openContext(f.browser);
    const bob = await openContext(f.browser);
    await logIn(alice.page, f.server.url, 'alice', PASSWORD);
    await logIn(bob.page, f.server.url, 'bob', PASSWORD);

    const id = await deployThroughApi('1.0.0');
    await f.until('the approval wait', async () => (await phaseOf(id)) === 'waiting-for-approval');
    await alice.page.goto(`${f.server.url}/#/deployments/${id}`);
    await alice.page.locator('.deployment h2 [data-state="waiting-for-approval"]').waitFor();
    // A marker on the page: if the page reloaded, it would be gone.
    await alice.page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));
    const before = await shownSteps(alice.page);
    expect(before.some((s) => s.endsWith(':running'))).toBe(true);
    expect(before.some((s) => s.endsWith(':pending'))).toBe(true);
    // The deployer may abort but not approve (separation of duties); the approver may approve.
    await expect(alice.page.locator('[data-action="approve"]').count()).resolves.toBe(0);
    await expect(alice.page.locator('[data-action="abort"]').count()).resolves.toBe(1);
    await saveScreenshot(alice.page, 'deployment-waiting-laptop');

    await bob.page.goto(`${f.server.url}/#/deployments/${id}`);
    await bob.page.locator('[data-action="approve"]').click();
    await bob.page.locator('[data-confirm="approve"] textarea').fill('reviewed in the browser test');
    await bob.page.getByRole('button', { name: 'Confirm approve' }).click();

    // Alice's page follows the server's events: every step reaches its end state, the phase says succeeded.
    await alice.page.locator('.deployment h2 [data-state="succeeded"]').waitFor({ timeout: 45_000 });
    const after = await shownSteps(alice.page);
    expect(
      after
        .filter((s) => /^\d+:/.test(s) && Number(s.split(':')[0]) < 1000)
        .every((s) => /:(succeeded|skipped)$/.test(s)),
    ).toBe(true);
    expect(await alice.page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe(
      'same page',
    );
    await expect(alice.page.locator('[data-action="abort"]').count()).resolves.toBe(0);
    expect(await (await fetch(`${f.project.url}/`)).text()).toContain('1.0.0');
    await alice.page.locator('.events li', { hasText: 'reviewed in the browser test' }).waitFor();
    await saveScreenshot(alice.page, 'deployment-laptop');
    await alice.page.setViewportSize(PHONE);
    await saveScreenshot(alice.page, 'deployment-phone');
    problems.push(...alice.problems, ...bob.problems);
    await alice.context.close();
    await bob.context.close();
  });

  it('rolls back from the environments page and shows the old release serving', async () => {
    const id = await deployThroughApi('2.0.0');
    await f.until('the approval wait', async () => (await phaseOf(id)) === 'waiting-for-approval');
    await f.call(approverToken, 'POST', `/deployments/${id}/approve`, { comment: 'fine' });
    await f.until('2.0.0 deployed', async () => (await phaseOf(id)) === 'succeeded');

    const alice = await openContext(f.browser);
    await logIn(alice.page, f.server.url, 'alice', PASSWORD);
    const card = alice.page.locator('[data-environment="production"]');
    await card.locator('[data-role="serving"] [data-field="release"]', { hasText: '2.0.0' }).waitFor();
    await saveScreenshot(alice.page, 'environments-laptop');
    await card.locator('[data-action="rollback"]').click();
    await card.locator('[data-confirm="rollback"] textarea').fill('browser test rollback');
    await card.getByRole('button', { name: 'Confirm rollback' }).click();
    // No reload: the page refreshes itself from the server's events.
    await card
      .locator('[data-role="serving"] [data-field="release"]', { hasText: '1.0.0' })
      .waitFor({ timeout: 45_000 });
    expect(await (await fetch(`${f.project.url}/`)).text()).toContain('1.0.0');
    await alice.page.setViewportSize(PHONE);
    await saveScreenshot(alice.page, 'environments-phone');

    for (const [hash, name] of [
      ['#/deployments', 'deployments'],
      ['#/releases', 'releases'],
      ['#/ledger', 'ledger'],
    ] as const) {
      await alice.page.setViewportSize(LAPTOP);
      await alice.page.goto(`${f.server.url}/${hash}`);
      await alice.page.locator('table.list tbody tr').first().waitFor();
      await saveScreenshot(alice.page, `${name}-laptop`);
      await alice.page.setViewportSize(PHONE);
      await saveScreenshot(alice.page, `${name}-phone`);
    }
    problems.push(...alice.problems);
    await alice.context.close();
  });

  it('searches releases and the ledger on the server', async () => {
    const alice = await openContext(f.browser);
    await logIn(alice.page, f.server.url, 'alice', PASSWORD);
    await alice.page.goto(`${f.server.url}/#/releases`);
    await alice.page.locator('[data-release="1.0.0"]').waitFor();
    await alice.page.getByLabel('Search').fill('2.0');
    await alice.page.getByRole('button', { name: 'Search' }).click();
    await alice.page.waitForURL(/q=2\.0/);
    // A new address is a new page: its only rows are the answer to the search.
    await alice.page.locator('[data-release="2.0.0"]').waitFor();
    await expect(alice.page.locator('[data-release="1.0.0"]').count()).resolves.toBe(0);

    await alice.page.goto(`${f.server.url}/#/ledger`);
    await alice.page.locator('[data-kind="approval.granted"]').first().waitFor();
    await alice.page.locator('select[name="kind"]').selectOption('approval.granted');
    await alice.page.waitForURL(/kind=approval\.granted/);
    await f.until('only approvals listed', async () => {
      const kinds = await alice.page.$$eval('[data-kind]', (rows) =>
        rows.map((r) => r.getAttribute('data-kind')),
      );
      return kinds.length > 0 && kinds.every((k) => k === 'approval.granted');
    });
    await alice.page.getByLabel('Search').fill('reviewed in the browser test');
    await alice.page.getByRole('button', { name: 'Search' }).click();
    await f.until(
      'one matching approval',
      async () => (await alice.page.locator('[data-kind]').count()) === 1,
    );
    problems.push(...alice.problems);
    await alice.context.close();
  });

  it('shows a viewer no buttons, the server refuses their session a POST, and logging out ends the session', async () => {
    // A deployment waiting for approval: the moment a deployer sees Abort and an approver Approve and Reject.
    const id = await deployThroughApi('2.0.0');
    await f.until('the approval wait', async () => (await phaseOf(id)) === 'waiting-for-approval');

    const victor = await openContext(f.browser);
    await logIn(victor.page, f.server.url, 'victor', PASSWORD);
    const card = victor.page.locator('[data-environment="production"]');
    await card.locator('[data-field="release"]').first().waitFor();
    await expect(victor.page.locator('[data-action]').count()).resolves.toBe(0);
    await victor.page.goto(`${f.server.url}/#/deployments/${id}`);
    await victor.page.locator('.deployment h2 [data-state="waiting-for-approval"]').waitFor();
    await victor.page.locator('[data-step-index][data-status="running"]').first().waitFor();
    await expect(victor.page.locator('[data-action]').count()).resolves.toBe(0);

    // Trying anyway, with the session's own CSRF token: refused by the server, and nothing is recorded.
    const statuses = await victor.page.evaluate(async (deploymentId) => {
      const session = (await (await fetch('/api/v1/session')).json()) as SessionView;
      const post = async (path: string, body: unknown) =>
        (
          await fetch(`/api/v1${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken ?? '' },
            body: JSON.stringify(body),
          })
        ).status;
      return [
        await post(`/deployments/${deploymentId}/approve`, { comment: 'a viewer approves' }),
        await post('/environments/production/rollback', {}),
      ];
    }, id);
    expect(statuses).toEqual([403, 403]);
    const ledger = await f.call<{ actor: string }[]>(deployerToken, 'GET', '/ledger?q=victor&limit=50');
    expect(ledger.filter((e) => e.actor === 'victor')).toEqual([]);
    // Cleanup: the approver rejects it, so the server stops with nothing waiting.
    await f.call(approverToken, 'POST', `/deployments/${id}/reject`, { comment: 'not today' });
    await f.until('the rejection', async () => ['failed', 'rolled-back'].includes(await phaseOf(id)));

    // Logging out ends the session on the server, not only on the page.
    await victor.page.getByRole('button', { name: 'Log out' }).click();
    await victor.page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await victor.page.evaluate(async () => (await fetch('/api/v1/session')).status)).toBe(401);
    problems.push(...victor.problems);
    await victor.context.close();
  });

  it('ran without a script error or a CSP violation on any page', () => {
    expect(problems).toEqual([]);
  });
});
