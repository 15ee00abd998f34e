import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load-loop.js';
import { expectOk } from '../helpers/project.js';
import { logIn, openContext, PHONE, saveScreenshot } from './chromium.js';
import { PASSWORD, startDashboardFixture, type DashboardFixture } from './dashboard-fixture.js';

// A canary followed in the browser: real traffic through the real router, a canary that answers 5xx on 10% of
// requests (within the analysis' tolerance here), paused for a promote. The page charts per-release rates from
// the server's traffic answers, shows the analysis verdict, and the deployer promotes it from the page.

const CANARY = `      kind: canary
      steps:
        - setWeight: 30
        - analysis: { timeout: 60s }
        - pause: {}
        - setWeight: 100
      analysis:
        interval: 300ms
        minRequests: 40
        maxErrorRate: 0.5
        errorRateTolerance: 0.5`;

/** 1.0.0 serving, then 2.0.0 built with `strategy` (and `env`) for alice, a deployer, to deploy as a canary. */
async function startCanaryFixture(
  strategy: string,
  env?: Record<string, string>,
): Promise<{ f: DashboardFixture; token: string }> {
  const f = await startDashboardFixture({
    config: (project) => project.config(),
    releases: ['1.0.0'],
    users: { alice: 'deployer:production' },
    prepare: async (project) => {
      expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
      project.writeConfig(project.config({ ...(env ? { env } : {}), strategy }));
      expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    },
  });
  return { f, token: await f.server.token('alice', ['deployer:production']) };
}

// A browser, a server, agents and targets on a machine shared with other test runs: more time than the default.
describe('canary panel in a browser', { timeout: 120_000 }, () => {
  let f: DashboardFixture;
  let token: string;

  beforeAll(async () => {
    ({ f, token } = await startCanaryFixture(CANARY, { ERROR_RATE: '0.1' }));
  }, 120_000);

  afterAll(async () => f?.dispose());

  it('charts per-release traffic of a running canary, shows its verdict, and promotes it', async () => {
    const load = startLoad(f.project.url, { concurrency: 2, maxMs: 90_000 });
    try {
      await load.warm();
      const id = await f.deployThroughApi(token, 'production', '2.0.0');
      await f.until('the pause', async () => (await f.phaseOf(token, id)) === 'paused');

      const { page, problems } = await openContext(f.browser);
      await logIn(page, f.server.url, 'alice', PASSWORD);
      await page.goto(`${f.server.url}/#/deployments/${id}`);
      const panel = page.locator('[data-canary="production"]');
      await panel.waitFor();
      await panel.locator('[data-verdict="successful"]').waitFor();

      // Wait for an interval in which the canary answered 5xx: then both releases had traffic and stable none.
      const rates = async (release: string, field: string) => {
        const cell = panel.locator(`table.latest [data-release="${release}"] [data-field="${field}"]`);
        if ((await cell.count()) === 0) return null;
        const value = await cell.getAttribute('data-value');
        return value ? Number(value) : null;
      };
      await f.until(
        'a 5xx of the canary on the chart',
        async () => ((await rates('2.0.0', 'errors')) ?? 0) > 0,
      );
      expect(await rates('1.0.0', 'rps')).toBeGreaterThan(0);
      expect(await rates('2.0.0', 'rps')).toBeGreaterThan(0);
      expect(await rates('1.0.0', 'errors')).toBe(0);
      expect(await rates('2.0.0', 'p99')).toBeGreaterThan(0);
      // Three charts, each with a line per release in its legend.
      for (const release of ['1.0.0', '2.0.0'])
        await f.until(`${release} in the three legends`, async () => {
          return (await panel.locator(`.u-legend .u-series:has-text("${release}")`).count()) === 3;
        });
      // A few points, so that the screenshot shows lines.
      await f.until(
        'three points on the charts',
        async () => Number(await panel.getAttribute('data-points')) >= 3,
      );
      await saveScreenshot(page, 'canary-laptop');
      await page.setViewportSize(PHONE);
      await saveScreenshot(page, 'canary-phone');

      // The environment's own canary page, linked from its card, charts the same.
      await page.goto(`${f.server.url}/#/environments`);
      await page.locator('[data-environment="production"] a', { hasText: 'Canary charts' }).click();
      const own = page.locator('[data-canary="production"]');
      await f.until('a point on its charts', async () => Number(await own.getAttribute('data-points')) >= 1);
      await page.goto(`${f.server.url}/#/deployments/${id}`);

      await page.locator('[data-action="promote"]').click();
      await page.getByRole('button', { name: 'Confirm promote' }).click();
      await page.locator('.deployment h2 [data-state="succeeded"]').waitFor({ timeout: 45_000 });
      // Finished: the canary panel and the buttons are gone; the release serves everyone.
      await expect(panel.count()).resolves.toBe(0);
      await expect(page.locator('[data-action]').count()).resolves.toBe(0);
      // 2.0.0 answers 5xx on purpose now and then: which release answered is in its x-release header.
      for (let i = 0; i < 5; i++)
        expect((await fetch(`${f.project.url}/`)).headers.get('x-release')).toBe('2.0.0');
      expect(problems).toEqual([]);
      await page.context().close();
    } finally {
      await load.stop();
    }
  });
});

// A quiet canary: no traffic gives no verdict, so the promotion gate (between 30% and all traffic) waits for a
// person and says why on the deployment's timeline; the deployer promotes it from the page.
const QUIET_CANARY = `      kind: canary
      steps:
        - setWeight: 30
      analysis:
        interval: 300ms`;

describe('a canary waiting at its promotion gate, in a browser', { timeout: 120_000 }, () => {
  let f: DashboardFixture;
  let token: string;

  beforeAll(async () => {
    ({ f, token } = await startCanaryFixture(QUIET_CANARY));
  }, 120_000);

  afterAll(async () => f?.dispose());

  it('shows on the timeline what the gate waits for, and goes on after a promote from the page', async () => {
    const { page, problems } = await openContext(f.browser);
    await logIn(page, f.server.url, 'alice', PASSWORD);
    const id = await f.deployThroughApi(token, 'production', '2.0.0');
    // The page may open before or after the gate starts waiting: the note comes with the steps or a live step event.
    await page.goto(`${f.server.url}/#/deployments/${id}`);
    const note = page.locator('[data-status="running"] .step-note');
    await note.waitFor({ timeout: 45_000 });
    expect(await note.textContent()).toMatch(/waiting for slipway promote/);
    await saveScreenshot(page, 'promotion-gate-waiting');

    await page.locator('[data-action="promote"]').click();
    await page.getByRole('button', { name: 'Confirm promote' }).click();
    await page.locator('.deployment h2 [data-state="succeeded"]').waitFor({ timeout: 45_000 });
    await expect(page.locator('.step-note').count()).resolves.toBe(0);
    expect((await fetch(`${f.project.url}/`)).headers.get('x-release')).toBe('2.0.0');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
