import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk } from '../helpers/project.js';
import { logIn, openContext } from './chromium.js';
import { PASSWORD, startDashboardFixture, type DashboardFixture } from './dashboard-fixture.js';

// The server restarts while a page is open, and the environment changes meanwhile (a rollback with the CLI):
// the page says it lost the stream, reconnects by itself, and shows what serves now, without a reload.

describe('dashboard across a server restart', { timeout: 120_000 }, () => {
  let f: DashboardFixture;

  beforeAll(async () => {
    f = await startDashboardFixture({
      config: (project) => project.config(),
      releases: ['1.0.0', '2.0.0'],
      users: { alice: 'deployer:production' },
      prepare: async (project) => {
        expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
        expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
      },
    });
  }, 120_000);

  afterAll(async () => f?.dispose());

  it('reconnects and catches up with what changed while the server was down', async () => {
    const { page, problems } = await openContext(f.browser);
    await logIn(page, f.server.url, 'alice', PASSWORD);
    const serving = page.locator(
      '[data-environment="production"] [data-role="serving"] [data-field="release"]',
    );
    await serving.filter({ hasText: '2.0.0' }).waitFor();
    await page.locator('.live-live').waitFor();
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));

    await f.restartServer(async () => {
      await page.locator('.live-reconnecting').waitFor();
      expectOk(await f.project.cli(['rollback', 'production']));
    });

    await page.locator('.live-live').waitFor({ timeout: 45_000 });
    await serving.filter({ hasText: '1.0.0' }).waitFor({ timeout: 45_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');
    // The browser logs the refused reconnects while the server was down; nothing else.
    expect(problems.filter((p) => !p.includes('/api/v1/events'))).toEqual([]);
    await page.context().close();
  });
});
