import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../src/router/test-certificates.js';
import { expectOk, freePort } from '../helpers/project.js';
import { logIn, openContext, saveScreenshot } from './chromium.js';
import { PASSWORD, startDashboardFixture, type DashboardFixture } from './dashboard-fixture.js';

// The environment card of an environment served by name shows its front door and each certificate served there:
// names, issuer and expiry, one that expires within 14 days flagged.

describe('dashboard: the front door and its certificates', { timeout: 120_000 }, () => {
  let f: DashboardFixture;
  let pki: TestPki;

  beforeAll(async () => {
    pki = createTestPki();
    const long = pki.issue('long', ['shop.test'], { days: 90 });
    const short = pki.issue('short', ['www.shop.test'], { days: 10 });
    const [http, https] = [await freePort(), await freePort()];
    f = await startDashboardFixture({
      config: (project) =>
        project.config({
          environmentExtra: `    domains: [shop.test, www.shop.test]
    frontDoor: { httpPort: ${http}, httpsPort: ${https}, bindAddress: 127.0.0.1 }
    tls:
      certificates:
        - { cert: ${long.certFile}, key: ${long.keyFile} }
        - { cert: ${short.certFile}, key: ${short.keyFile} }`,
        }),
      releases: ['1.0.0'],
      users: { victor: 'viewer' },
      prepare: async (project) => {
        expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
      },
    });
  }, 120_000);

  afterAll(async () => {
    await f?.dispose();
    pki?.remove();
  });

  it('shows the names and each certificate with its issuer and expiry', async () => {
    const { page, problems } = await openContext(f.browser);
    await logIn(page, f.server.url, 'victor', PASSWORD);
    const door = page.locator('[data-environment="production"] [data-front-door]');
    await door.locator('[data-field="names"]', { hasText: 'shop.test, www.shop.test' }).waitFor();
    const long = door.locator('[data-certificate="shop.test"]');
    expect(await long.getAttribute('data-state')).toBe('valid');
    expect(await long.textContent()).toMatch(/Slipway Test CA.*expires \d{4}-\d\d-\d\d \(in (89|90) days\)/);
    const short = door.locator('[data-certificate="www.shop.test"]');
    expect(await short.getAttribute('data-state')).toBe('expiring');
    expect(await short.locator('.badge').getAttribute('class')).toContain('tone-waiting');
    await saveScreenshot(page, 'environments-front-door-laptop');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
