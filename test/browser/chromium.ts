import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/project.js';

/**
 * Debian's chromium driven by playwright-core (no downloaded browser: CI installs the `chromium` package).
 * Headless, without the sandbox (CI runs as root) and without background traffic (loopback only).
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--no-first-run',
];

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export const SCREENSHOTS_DIR = join(REPO_ROOT, 'test-artifacts', 'screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * A browser context (its own cookies: one person) whose pages record every script error and every console error
 * (a CSP violation is one), so a test can require that there were none.
 */
export async function openContext(
  browser: Browser,
  viewport = LAPTOP,
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport });
  const problems: string[] = [];
  context.on('page', (p) => watchProblems(p, problems));
  const page = await context.newPage();
  return { context, page, problems };
}

function watchProblems(page: Page, problems: string[]): void {
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    // A refused request (e.g. the viewer's POST, 403) is logged by the browser as a failed resource: expected.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      problems.push(`console: ${m.text()}`);
  });
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Logs in through the login page and waits for the app's header to name the user. */
export async function logIn(page: Page, baseUrl: string, user: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/#/environments`);
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('[data-field="user"]', { hasText: user }).waitFor();
}
