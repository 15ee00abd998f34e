import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../src/router/test-certificates.js';
import {
  createTestProject,
  expectOk,
  freePort,
  renderAppSection,
  type TestProject,
} from '../helpers/project.js';
import { CHROMIUM_PATH, openContext, saveScreenshot } from './chromium.js';

// A person's browser on an app deployed with domains and a certificate file: Debian's chromium opens it by name
// over HTTPS and verifies the certificate itself, against the test CA and nothing else. The CA is trusted the
// way a person would trust a private CA on Linux: in the NSS database of the browser's profile (~/.pki/nssdb),
// here a private HOME made for this test (certutil, from libnss3-tools). No certificate error is ignored.

/** A HOME whose ~/.pki/nssdb trusts `caFile` to identify web sites (and nothing more). */
function homeTrusting(caFile: string): string {
  const home = mkdtempSync(join(tmpdir(), 'sw-chromium-home-'));
  const db = join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  const certutil = (args: string[]) =>
    execFileSync('certutil', ['-d', `sql:${db}`, ...args], { stdio: 'pipe' });
  certutil(['-N', '--empty-password']);
  certutil(['-A', '-n', 'Slipway Test CA', '-t', 'C,,', '-i', caFile]);
  return home;
}

/** What the browser itself says of a main-frame answer (Chrome DevTools Protocol). */
interface SeenSecurity {
  url: string;
  securityState: string;
  sanList: string[];
  issuer: string;
  protocol: string;
}

async function watchSecurity(page: Page): Promise<SeenSecurity[]> {
  const seen: SeenSecurity[] = [];
  const cdp = await page.context().newCDPSession(page);
  cdp.on('Network.responseReceived', (e) => {
    if (e.type !== 'Document') return;
    seen.push({
      url: e.response.url,
      securityState: e.response.securityState,
      sanList: e.response.securityDetails?.sanList ?? [],
      issuer: e.response.securityDetails?.issuer ?? '',
      protocol: e.response.securityDetails?.protocol ?? '',
    });
  });
  await cdp.send('Network.enable');
  return seen;
}

describe('an app served by name over HTTPS, in a browser', { timeout: 120_000 }, () => {
  let project: TestProject;
  let pki: TestPki;
  let home: string;
  let browser: Browser;
  let http: number;
  let https: number;

  beforeAll(async () => {
    pki = createTestPki();
    pki.issue('shop', ['shop.test', 'www.shop.test']);
    home = homeTrusting(pki.caFile);
    project = await createTestProject();
    http = await freePort();
    https = await freePort();
    project.writeConfig(`${renderAppSection()}environments:
  production:
    publicPort: ${project.port}
    bindAddress: 127.0.0.1
    domains: [shop.test, www.shop.test]
    frontDoor: { httpPort: ${http}, httpsPort: ${https}, bindAddress: 127.0.0.1 }
    tls:
      certificates:
        - { cert: ${pki.dir}/shop.pem, key: ${pki.dir}/shop.key }
    strategy:
      kind: blue-green
      keepWarm: 5m
      drainTimeout: 5s
`);
    for (const version of ['1.0.0', '2.0.0'])
      expectOk(await project.cli(['release', 'create', '--version', version]));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--no-first-run',
        // The names resolve to the front door on loopback, as DNS would send them to the host.
        '--host-resolver-rules=MAP shop.test 127.0.0.1, MAP www.shop.test 127.0.0.1, MAP unknown.test 127.0.0.1',
      ],
      env: { ...process.env, HOME: home },
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await project?.dispose();
    pki?.remove();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('opens the app by name over HTTPS, verified by the browser, and after a deploy shows the new release', async () => {
    const { context, page, problems } = await openContext(browser);
    const seen = await watchSecurity(page);

    const response = await page.goto(`https://shop.test:${https}/`);
    expect(response?.status()).toBe(200);
    expect(await page.textContent('body')).toContain('Hello from hello 1.0.0');
    expect(
      await page.evaluate(() => ({ protocol: location.protocol, secureContext: window.isSecureContext })),
    ).toEqual({ protocol: 'https:', secureContext: true });
    // The certificate the browser accepted: the environment's file, issued by the test CA.
    const details = await response!.securityDetails();
    expect(details).toMatchObject({ subjectName: 'shop.test', issuer: 'Slipway Test CA' });
    expect(details?.protocol).toMatch(/^TLS 1\.[23]$/);
    expect(seen).toEqual([
      {
        url: `https://shop.test:${https}/`,
        securityState: 'secure',
        sanList: ['shop.test', 'www.shop.test'],
        issuer: 'Slipway Test CA',
        protocol: details?.protocol,
      },
    ]);
    await saveScreenshot(page, 'https-shop-by-name');

    // The other name of the environment, same certificate.
    await page.goto(`https://www.shop.test:${https}/`);
    expect(await page.textContent('body')).toContain('Hello from hello 1.0.0');
    expect(seen.at(-1)?.securityState).toBe('secure');

    // A blue/green deploy; the same tab reloads onto the new release, still secure.
    await page.goto(`https://shop.test:${https}/`);
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    await page.reload();
    expect(await page.textContent('body')).toContain('Hello from hello 2.0.0');
    expect(seen.at(-1)).toMatchObject({ url: `https://shop.test:${https}/`, securityState: 'secure' });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('redirects http:// by name to https://, keeping the path', async () => {
    const { context, page } = await openContext(browser);
    const seen = await watchSecurity(page);
    const response = await page.goto(`http://shop.test:${http}/some/page?q=1`);
    expect(page.url()).toBe(`https://shop.test:${https}/some/page?q=1`);
    expect(response?.status()).toBe(200);
    expect(await page.textContent('body')).toContain('Hello from hello');
    const redirect = await response!.request().redirectedFrom()?.response();
    expect(redirect?.status()).toBe(308);
    expect(redirect?.url()).toBe(`http://shop.test:${http}/some/page?q=1`);
    expect(seen.at(-1)).toMatchObject({ url: page.url(), securityState: 'secure' });
    await context.close();
  });

  it('answers a name no environment has with 404, and refuses it a certificate', async () => {
    const { context, page } = await openContext(browser);
    const response = await page.goto(`http://unknown.test:${http}/`);
    expect(response?.status()).toBe(404);
    expect(await page.textContent('body')).not.toContain('hello');
    // Over HTTPS no certificate is offered for it (not shop.test's): the browser cannot connect at all.
    await expect(page.goto(`https://unknown.test:${https}/`)).rejects.toThrow(/net::ERR_/);
    await context.close();
  });
});
