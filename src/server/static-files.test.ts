import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { NOT_BUILT_PAGE, serveDashboard } from './static-files.js';

describe('the dashboard files', () => {
  const base = mkdtempSync(join(tmpdir(), 'sw-web-'));
  const root = join(base, 'web');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>dashboard</title>');
  writeFileSync(join(root, 'assets', 'app-1a2b.js'), 'console.log(1)');
  writeFileSync(join(base, 'secret.txt'), 'not for you');
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const app = (webRoot: string | null) => {
    const a = new Hono();
    a.get('*', (c) => serveDashboard(c, webRoot));
    return a;
  };

  it('serves a file with its type, hashed assets cacheable', async () => {
    const res = await app(root).request('/assets/app-1a2b.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(await res.text()).toBe('console.log(1)');
  });

  it('answers index.html for the dashboard routes and missing files', async () => {
    for (const path of ['/', '/deployments/d123', '/assets/missing.js', '/bad%E0%A4%A.js']) {
      const res = await app(root).request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('<title>dashboard</title>');
    }
  });

  it('never reads outside the web root', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt']) {
      const text = await (await app(root).request(path)).text();
      expect(text).not.toContain('not for you');
    }
  });

  it('says the dashboard is not built when there is no build', async () => {
    const res = await app(null).request('/anything');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(NOT_BUILT_PAGE);
  });
});
