import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, spawnCli, type TestProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// Issue 15, item 5: health checks go on while a target serves. A release whose health check passes at the deploy and
// turns 503 after the switch (while every other page still answers 200, so the metrics look fine) fails its bake,
// is rolled back and is not marked good; the agent's report reaches the ledger. Real CLI, agent, router, targets.

interface LedgerEvent {
  kind: string;
  release: string | null;
  message: string;
  actor: string;
  data?: Record<string, unknown>;
}

const BAKE = [
  '    bake:',
  '      duration: 8s',
  '      interval: 300ms',
  '      probe: { ratePerSecond: 20, path: / }',
].join('\n');

async function servedRelease(project: TestProject): Promise<string | undefined> {
  try {
    const res = await fetch(`${project.url}/api/version`);
    return ((await res.json()) as { release: string }).release;
  } catch {
    return undefined;
  }
}

describe('health after the switch', () => {
  let project: TestProject;

  beforeEach(async () => {
    project = await createTestProject();
  });
  afterEach(async () => project.dispose());

  it('a release whose health check turns 503 after the switch fails its bake and is rolled back', async () => {
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));

    // While this file exists, the new release's /healthz answers 503; every other page keeps answering 200.
    const sickFile = join(project.dir, 'sick');
    project.writeConfig(project.config({ env: { HEALTH_FAIL_FILE: sickFile }, environmentExtra: BAKE }));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0-sick']));
    const deploy = spawnCli(project, ['deploy', 'production', '--release', '2.0.0-sick']);
    let exited = false;
    void deploy.done.then(() => (exited = true));
    // Traffic reaches 2.0.0-sick only after its health check passed: from then on, it fails.
    await waitFor('2.0.0-sick to serve', async () => {
      if (exited)
        throw new Error(`the deploy ended before the switch:\n${deploy.stdout()}\n${deploy.stderr()}`);
      return (await servedRelease(project)) === '2.0.0-sick' ? true : undefined;
    });
    writeFileSync(sickFile, '');

    const code = await deploy.done;
    expect(code, `${deploy.stdout()}\n${deploy.stderr()}`).toBe(1);
    expect(deploy.stderr()).toMatch(
      /bake of 2\.0\.0-sick failed: target \S+ on local failed its health check \d+ times in a row while serving: GET \/healthz answered 503/,
    );
    expect(await servedRelease(project)).toBe('1.0.0');

    const events = JSON.parse(
      expectOk(await project.cli(['history', 'production', '--json', '--limit', '200'])).stdout,
    ) as LedgerEvent[];
    const sick = events.filter((e) => e.release === '2.0.0-sick');
    const kinds = sick.map((e) => e.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['target.unhealthy', 'bake.started', 'bake.failed', 'deploy.rolled-back']),
    );
    expect(kinds).not.toContain('release.marked-good');
    const report = sick.find((e) => e.kind === 'target.unhealthy');
    expect(report?.actor).toBe('agent@local');
    expect(report?.message).toMatch(
      /^target \S+ of hello failed its health check 3 times in a row while serving: GET \/healthz answered 503$/,
    );
    const releases = JSON.parse(expectOk(await project.cli(['releases', '--json'])).stdout) as Array<{
      version: string;
      goodIn: string[];
    }>;
    expect(releases.find((r) => r.version === '2.0.0-sick')?.goodIn).toEqual([]);
  }, 90_000);
});
