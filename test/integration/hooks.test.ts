import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load-loop.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';

// Hooks (issue 17, item 6): commands at named points of a deployment, run on the control plane as plan steps.
// Each hook here appends what it was told, and what users were served at that moment, to a file; the
// before-switch hook fails while a flag file exists.

/** A hook script: appends what it was told, and which release answered users at that moment, to hooks.log. */
const RECORD_JS = `const { appendFileSync } = require('node:fs');
fetch(process.env.SLIPWAY_URL)
  .then((r) => r.text())
  .catch(() => '')
  .then((text) => {
    const serving = (text.match(/hello (\\S+)/) || [])[1] || 'nothing';
    const e = process.env;
    appendFileSync('hooks.log', [e.SLIPWAY_HOOK, e.SLIPWAY_RELEASE, e.SLIPWAY_PREVIOUS_RELEASE || '-', serving].join(' ') + '\\n');
  });
`;

const HOOKS_SECTION = `hooks:
  beforeDeploy:
    - { name: record, command: node record.cjs }
  beforeSwitch:
    - name: gate
      command: 'if [ -e fail-flag ]; then echo "cache warm-up failed for $SLIPWAY_RELEASE" >&2; exit 3; fi'
    - { name: record, command: [node, record.cjs] }
  afterSwitch:
    - { name: record, command: node record.cjs }
  afterRollback:
    - { name: record, command: node record.cjs }
    - { name: only staging, command: 'echo never >> hooks.log', environments: [staging] }
`;

describe('hooks', () => {
  let project: TestProject;
  const log = (): string[] =>
    existsSync(join(project.dir, 'hooks.log'))
      ? readFileSync(join(project.dir, 'hooks.log'), 'utf8').trim().split('\n')
      : [];
  const clearLog = (): void => rmSync(join(project.dir, 'hooks.log'), { force: true });

  beforeAll(async () => {
    project = await createTestProject();
    const config = `${project.config()}  staging:
    publicPort: ${project.port + 1}
    bindAddress: 127.0.0.1
${HOOKS_SECTION}`;
    project.writeConfig(config);
    writeFileSync(join(project.dir, 'record.cjs'), RECORD_JS);
    for (const version of ['1.0.0', '2.0.0', '3.0.0'])
      expectOk(await project.cli(['release', 'create', '--version', version]));
  }, 120_000);
  afterAll(async () => project?.dispose());

  it('shows each hook in the plan, and runs each at its point with what it is told', async () => {
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    const plan = expectOk(await project.cli(['plan', 'production', '--release', '2.0.0']));
    for (const stage of [
      'hook before deploy: record',
      'hook before switch: gate',
      'hook before switch: record',
      'hook after switch: record',
      'hook after rollback: record',
    ])
      expect(plan.stdout).toContain(stage);
    expect(plan.stdout).toContain('run hook "gate" (if [ -e fail-flag ]');
    clearLog();
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    expect(deploy.stdout).toContain('hook record');
    // Before the switch, users still had 1.0.0; after it, 2.0.0.
    expect(log()).toEqual([
      'beforeDeploy 2.0.0 1.0.0 1.0.0',
      'beforeSwitch 2.0.0 1.0.0 1.0.0',
      'afterSwitch 2.0.0 1.0.0 2.0.0',
    ]);
  });

  it('a failing before-switch hook stops the deploy with the old release serving, under load', async () => {
    clearLog();
    writeFileSync(join(project.dir, 'fail-flag'), '');
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    const deploy = await project.cli(['deploy', 'production', '--release', '3.0.0']);
    const report = await load.stop();
    rmSync(join(project.dir, 'fail-flag'));

    expect(deploy.code, `${deploy.stdout}\n${deploy.stderr}`).toBe(1);
    expect(deploy.stderr).toContain('hook "gate" exited with code 3');
    expect(deploy.stderr).toContain('cache warm-up failed for 3.0.0');
    expect(report.failed, report.failures.slice(0, 3).join('\n')).toBe(0);
    expect(Object.keys(report.byRelease)).toEqual(['2.0.0']);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 2.0.0');
    // The failed deploy put users back (they never left): the after-rollback hooks ran, not the after-switch ones.
    expect(log()).toEqual(['beforeDeploy 3.0.0 2.0.0 2.0.0', 'afterRollback 3.0.0 2.0.0 2.0.0']);
  });

  it('slipway rollback runs the after-rollback hooks once users are back', async () => {
    clearLog();
    const rollback = await project.cli(['rollback', 'production']);
    expect(rollback.code, `${rollback.stdout}\n${rollback.stderr}`).toBe(0);
    expect(log()).toEqual(['afterRollback 1.0.0 2.0.0 1.0.0']);
    const history = expectOk(await project.cli(['history', 'production', '--limit', '200'])).stdout;
    expect(history).not.toContain('never');
  });
});
