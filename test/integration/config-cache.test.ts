import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, type TestProject } from '../helpers/project.js';

// The built CLI keeps validated configs in $XDG_CACHE_HOME/slipway/config (src/config/config-cache.ts): a command
// on an unchanged slipway.yml skips the parser. An edited file must never be answered from an old entry.
describe('the built CLI with its config cache', () => {
  let project: TestProject;
  let cacheHome: string;
  let env: Record<string, string>;
  const entries = () => readdirSync(join(cacheHome, 'slipway', 'config'));

  beforeAll(async () => {
    project = await createTestProject();
    cacheHome = mkdtempSync(join(tmpdir(), 'sw-cache-home-'));
    env = { XDG_CACHE_HOME: cacheHome };
  });
  afterAll(async () => {
    await project.dispose();
    rmSync(cacheHome, { recursive: true, force: true });
  });

  it('keeps one entry per text of slipway.yml, and reads an edited file afresh', async () => {
    const first = await project.cli(['validate'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('app hello; environments: production');
    expect(entries()).toHaveLength(1);

    const again = await project.cli(['validate'], env);
    expect(again.stdout).toBe(first.stdout);
    expect(entries()).toHaveLength(1);

    const file = join(project.dir, 'slipway.yml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('production:', 'staging:'));
    const renamed = await project.cli(['validate'], env);
    expect(renamed.stdout).toContain('environments: staging');
    expect(entries()).toHaveLength(2);

    writeFileSync(file, text.replace(/^app: .*$/m, 'app: Not Valid'));
    const invalid = await project.cli(['validate'], env);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('app');
    expect(entries()).toHaveLength(2);

    writeFileSync(file, text);
    const back = await project.cli(['validate'], env);
    expect(back.stdout).toBe(first.stdout);
  });
});
