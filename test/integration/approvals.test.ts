import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, spawnCli, type TestProject } from '../helpers/project.js';

// Approvals with the real CLI: a deploy waits in its first stage until the team has approved it in the ledger.

interface HistoryEvent {
  kind: string;
  actor: string;
  message: string;
  deploymentId: string | null;
}

const TEAM = `team:
  alice: { roles: [deployer] }
  bob: { roles: [approver] }
  carol: { roles: [approver, admin] }
  dave: { roles: [approver], environments: [staging] }
`;
const APPROVALS = '    approvals: { required: [{ role: approver, count: 1 }], expiresAfter: 1h }';

async function events(project: TestProject): Promise<HistoryEvent[]> {
  const out = expectOk(await project.cli(['history', 'production', '--json', '--limit', '200'])).stdout;
  return JSON.parse(out) as HistoryEvent[];
}

/** Polls the ledger until the deploy asks for approval; returns its deployment id. */
async function waitForApprovalRequest(project: TestProject, release: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const request = (await events(project)).find(
      (e) => e.kind === 'approval.requested' && e.message.includes(release),
    );
    if (request?.deploymentId) return request.deploymentId;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no approval was requested for ${release}`);
}

const as = (person: string) => ({ SLIPWAY_USER: person });

describe('approvals', () => {
  let project: TestProject;

  beforeEach(async () => {
    project = await createTestProject();
    project.writeConfig(project.config({ environmentExtra: APPROVALS }) + TEAM);
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
  });
  afterEach(async () => project.dispose());

  it('waits for an approver, refuses the deployer and outsiders, and records who approved', async () => {
    const plan = expectOk(await project.cli(['plan', 'production', '--release', '1.0.0'])).stdout;
    expect(plan).toContain('wait for approval of the deploy of 1.0.0 to production by 1 approver');

    const deploy = spawnCli(project, ['deploy', 'production', '--release', '1.0.0'], as('alice'));
    const id = await waitForApprovalRequest(project, '1.0.0');
    // Nothing has changed while the deploy waits: no router listens yet.
    await expect(fetch(`${project.url}/`)).rejects.toThrow();

    const self = await project.cli(['approve', id], as('alice'));
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('alice has no role approver in production');
    const scoped = await project.cli(['approve', id], as('dave'));
    expect(scoped.code).toBe(1);
    expect(scoped.stderr).toContain('dave has no role approver in production');
    const outsider = await project.cli(['approve', id], as('mallory'));
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toContain('mallory is not in the team of slipway.yml');

    const approved = expectOk(
      await project.cli(['approve', id, '--comment', 'change 42 reviewed'], as('bob')),
    );
    expect(approved.stdout).toContain('may go on');
    expect(await deploy.done).toBe(0);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('1.0.0');

    const ledger = await events(project);
    const granted = ledger.filter((e) => e.kind === 'approval.granted');
    expect(granted).toHaveLength(1);
    expect(granted[0]).toMatchObject({ actor: 'bob', deploymentId: id });
    expect(granted[0]?.message).toContain('change 42 reviewed');
  });

  it('a deployer with the approver role cannot approve their own deploy; a rejection fails it before any change', async () => {
    const first = spawnCli(project, ['deploy', 'production', '--release', '1.0.0'], as('alice'));
    expectOk(await project.cli(['approve', await waitForApprovalRequest(project, '1.0.0')], as('carol')));
    expect(await first.done).toBe(0);

    project.writeConfig(project.config({ environmentExtra: APPROVALS, env: { GREETING: 'Hi' } }) + TEAM);
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    const second = spawnCli(project, ['deploy', 'production', '--release', '2.0.0'], as('bob'));
    const id = await waitForApprovalRequest(project, '2.0.0');

    const self = await project.cli(['approve', 'production'], as('bob'));
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('bob started this deployment and may not approve it');
    const noReason = await project.cli(['reject', id, '--comment', ' '], as('carol'));
    expect(noReason.code).toBe(2); // bad input
    expect(noReason.stderr).toContain('a rejection needs a reason');

    expectOk(await project.cli(['reject', id, '--comment', 'not during the sale'], as('carol')));
    expect(await second.done).toBe(1);
    expect(second.stderr()).toContain('rejected by carol: not during the sale');
    expect(await (await fetch(`${project.url}/`)).text()).toContain('Hello');
    const status = JSON.parse(
      expectOk(await project.cli(['status', 'production', '--json'])).stdout,
    ) as Array<{
      hosts: Array<{ targets: Array<{ release: string }> }>;
    }>;
    expect(status[0]?.hosts[0]?.targets.map((t) => t.release)).toEqual(['1.0.0']);
    expect((await events(project)).some((e) => e.kind === 'approval.rejected' && e.actor === 'carol')).toBe(
      true,
    );
  });
});
