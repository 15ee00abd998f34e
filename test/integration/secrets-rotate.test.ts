import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load-loop.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';

// `slipway secrets rotate` (issue 20): the release that serves is deployed again with the values its secrets'
// sources give now, through the environment's strategy, and nothing else changes. The source here is the
// environment's `.slipway/secrets/<env>.env` file; the example app answers with GREETING and fails a share of its
// answers with ERROR_RATE, both secrets here.

interface HistoryEvent {
  kind: string;
  message: string;
  deploymentId: string | null;
  data?: { result?: string; secrets?: string[] };
}

function setSecrets(project: TestProject, values: Record<string, string>): void {
  mkdirSync(join(project.dir, '.slipway', 'secrets'), { recursive: true });
  const lines = Object.entries(values).map(([name, value]) => `${name}=${value}\n`);
  writeFileSync(join(project.dir, '.slipway', 'secrets', 'production.env'), lines.join(''));
}

async function history(project: TestProject): Promise<HistoryEvent[]> {
  const out = expectOk(await project.cli(['history', 'production', '--json', '--limit', '200'])).stdout;
  return JSON.parse(out) as HistoryEvent[];
}

const deploymentsOf = (events: HistoryEvent[]): Set<string> =>
  new Set(events.flatMap((e) => (e.deploymentId ? [e.deploymentId] : [])));

/** The app section with `secrets` read from the env file (and so not plain variables). */
function configWith(project: TestProject, secrets: string[], strategy?: string): string {
  return project
    .config({ secrets, ...(strategy ? { strategy } : {}) })
    .replace('  GREETING: "Hello"\n', '')
    .replace(/^env:\n(?=secrets:)/m, 'env: {}\n');
}

describe('secrets rotate, blue/green', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    project.writeConfig(configWith(project, ['GREETING']));
    setSecrets(project, { GREETING: 'Ahoy-one' });
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    expect(await (await fetch(`${project.url}/`)).text()).toContain('Ahoy-one from hello 1.0.0');
  }, 120_000);
  afterAll(async () => project?.dispose());

  it('does nothing when no value changed, and refuses names it cannot rotate as asked', async () => {
    const before = deploymentsOf(await history(project));
    const nothing = expectOk(await project.cli(['secrets', 'rotate', 'production']));
    expect(nothing.stdout).toContain('no secret of production changed since the last deployment');

    const unchanged = await project.cli(['secrets', 'rotate', 'production', 'GREETING']);
    expect(unchanged.code).toBe(2);
    expect(unchanged.stderr).toContain('GREETING has the value that runs');
    const unknown = await project.cli(['secrets', 'rotate', 'production', 'NOPE']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('NOPE is not read by release 1.0.0 in production');
    expect(deploymentsOf(await history(project))).toEqual(before);
  });

  it('starts the serving release again with the new value under load, with no failed request', async () => {
    setSecrets(project, { GREETING: 'Ahoy-two' });
    const load = startLoad(project.url, {
      concurrency: 4,
      maxMs: 60_000,
      bodyMustContain: 'from hello 1.0.0',
    });
    await load.warm();
    const rotate = await project.cli(['secrets', 'rotate', 'production']);
    const report = await load.stop();

    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stdout).toContain('Rotates GREETING: 1.0.0 starts again');
    expect(rotate.stdout).toContain('rotated GREETING: 1.0.0 runs with the new values');
    expect(report.failed, report.failures.slice(0, 5).join('\n')).toBe(0);
    expect(report.total).toBeGreaterThan(20);
    // Nothing else changed: the same release answered every request.
    expect(Object.keys(report.byRelease)).toEqual(['1.0.0']);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('Ahoy-two from hello 1.0.0');
    for (const text of [rotate.stdout, rotate.stderr]) {
      expect(text).not.toContain('Ahoy-one');
      expect(text).not.toContain('Ahoy-two');
    }

    const events = await history(project);
    const rotated = events.find((e) => e.kind === 'secrets.rotated');
    expect(rotated?.message).toContain('GREETING rotated in production: 1.0.0 runs with the new value');
    expect(rotated?.data?.secrets).toEqual(['GREETING']);
    const fingerprinted = events.find((e) => e.kind === 'secrets.fingerprinted');
    expect(fingerprinted?.deploymentId).toBe(rotated?.deploymentId);
    expect(fingerprinted?.message).toBe('GREETING changed since the last successful deployment');
    // What runs is what the sources give now.
    expect((await project.cli(['secrets', 'diff', 'production'])).code).toBe(0);
  });
});

describe('secrets rotate, canary', () => {
  let project: TestProject;
  const canary = `      kind: canary
      steps:
        - setWeight: 30
        - analysis: { timeout: 60s }
      analysis:
        interval: 300ms
        minRequests: 40`;

  beforeAll(async () => {
    project = await createTestProject();
    project.writeConfig(configWith(project, ['GREETING', 'ERROR_RATE'], canary));
    setSecrets(project, { GREETING: 'Ahoy', ERROR_RATE: '0' });
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    // A first deploy has nothing to compare with: it goes straight through.
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  }, 120_000);
  afterAll(async () => project?.dispose());

  it('compares the new values with the old ones as a canary, and aborts a rotation whose values fail', async () => {
    setSecrets(project, { GREETING: 'Ahoy', ERROR_RATE: '0.3' });
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    const rotate = await project.cli(['secrets', 'rotate', 'production', 'ERROR_RATE']);
    await load.stop();

    expect(rotate.code, rotate.stdout).toBe(1);
    expect(rotate.stdout).toContain('to production (canary, deployment');
    expect(rotate.stderr).toMatch(/canary analysis failed/);
    // The targets from before serve again, with the old values: every answer is good.
    for (let i = 0; i < 60; i++) expect((await fetch(`${project.url}/`)).status).toBe(200);
    const events = await history(project);
    expect(events.find((e) => e.kind === 'canary.verdict')?.data?.result).toBe('failed');
    expect(events.some((e) => e.kind === 'secrets.rotated')).toBe(false);
    // What runs is still the old value: the rolled-back rotation's fingerprints are not what runs.
    const diff = await project.cli(['secrets', 'diff', 'production']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/changed\s+ERROR_RATE/);
    expect(diff.stdout).toMatch(/unchanged\s+GREETING/);
  });
});
