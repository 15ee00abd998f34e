import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalHost } from '../../src/hosts/local-host.js';
import { removeTestDir, startTestSshd, type TestSshd } from '../../src/hosts/test-sshd.js';
import {
  createTestProject,
  expectOk,
  freePort,
  renderAppSection,
  spawnCli,
  type TestProject,
} from '../helpers/project.js';
import { createSourceRepo, type SourceRepo } from '../helpers/source-repo.js';

// The whole path of issue 5 in one run, with real git, real processes and the real CLI: a commit becomes a
// release, is deployed to staging and verified there, promoted by itself to production, where it waits for an
// approval given with the CLI, starts inside its window, bakes, and is marked good. Staging is this machine over
// SSH (an app's router owns one port per host), production is `local`.

interface LedgerEvent {
  kind: string;
  environment: string | null;
  release: string | null;
  actor: string;
}

/** The hours of Europe/Berlin around now, so that the deploy starts inside the window whatever the time. */
function windowAroundNow(): string {
  const hour = Number(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', hourCycle: 'h23' }).format(
      new Date(),
    ),
  );
  return `* ${hour},${(hour + 1) % 24} * * *`;
}

function config(project: TestProject, repo: SourceRepo, sshd: TestSshd, stagingPort: number): string {
  const agentHome = join(sshd.dir, 'home');
  return `${renderAppSection()}watch:
  repo: ${repo.remote}
  branch: main
pipeline: [{ environment: staging, promote: automatic }, production]
team:
  olga: { roles: [deployer] }
  bob: { roles: [approver] }
environments:
  staging:
    hosts:
      - { name: stage-1, address: 127.0.0.1, port: ${sshd.port}, user: root, identityFile: ${sshd.clientKey}, agentHome: ${agentHome} }
    publicPort: ${stagingPort}
    bindAddress: 127.0.0.1
    strategy: { kind: blue-green, keepWarm: 5m, drainTimeout: 2s }
    verify:
      smoke:
        - path: /
          expect: { status: 200, body: ["{{release}}"] }
  production:
    publicPort: ${project.port}
    bindAddress: 127.0.0.1
    strategy: { kind: blue-green, keepWarm: 5m, drainTimeout: 2s }
    approvals: { required: [{ role: approver, count: 1 }] }
    windows: [{ cron: "${windowAroundNow()}", timezone: Europe/Berlin }]
    bake: { duration: 3s, interval: 300ms, probe: { ratePerSecond: 20, path: / } }
`;
}

async function ledger(project: TestProject): Promise<LedgerEvent[]> {
  const out = expectOk(await project.cli(['history', '--json', '--limit', '300'])).stdout;
  return (JSON.parse(out) as LedgerEvent[]).reverse();
}

describe('from a commit to production', () => {
  let project: TestProject;
  let repo: SourceRepo;
  let sshd: TestSshd;

  beforeEach(async () => {
    project = await createTestProject();
    repo = createSourceRepo();
    sshd = await startTestSshd();
  });
  afterEach(async () => {
    await new LocalHost(join(sshd.dir, 'home', 'agent')).stopAgent({ stopTargets: true }).catch(() => false);
    await sshd.stop();
    removeTestDir(sshd.dir);
    await project.dispose();
    repo.dispose();
  });

  it('builds, stages, verifies, waits for approval, deploys in the window, bakes and marks the release good', async () => {
    const stagingPort = await freePort();
    project.writeConfig(config(project, repo, sshd, stagingPort));
    expectOk(await project.cli(['setup', 'staging', '--trust-new-hosts']));
    const sha = repo.commit('first version');
    const version = sha.slice(0, 7);

    const watch = spawnCli(project, ['watch', '--once'], { SLIPWAY_USER: 'olga' });
    let requested: LedgerEvent | undefined;
    for (let i = 0; i < 300 && !requested && watch.child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 300));
      requested = (await ledger(project)).find(
        (e) => e.kind === 'approval.requested' && e.environment === 'production',
      );
    }
    expect(requested?.release, watch.stdout() + watch.stderr()).toBe(version);
    // Staging serves the commit; production has not changed yet (nothing listens there).
    expect(await (await fetch(`http://127.0.0.1:${stagingPort}/`)).text()).toContain(version);
    await expect(fetch(project.url)).rejects.toThrow();

    expectOk(await project.cli(['approve', 'production'], { SLIPWAY_USER: 'bob' }));
    expect(await watch.done, watch.stdout() + watch.stderr()).toBe(0);
    expect(await (await fetch(`${project.url}/`)).text()).toContain(version);

    const events = (await ledger(project)).filter((e) => e.release === version);
    const path = events.map((e) => `${e.kind}${e.environment ? ` ${e.environment}` : ''}`);
    const expected = [
      'release.created',
      'deploy.started staging',
      'verify.passed staging',
      'deploy.succeeded staging',
      'release.promoted production',
      'deploy.started production',
      'approval.requested production',
      'approval.granted production',
      'bake.started production',
      'bake.passed production',
      'deploy.succeeded production',
      'release.marked-good production',
    ];
    expect(path.filter((p) => expected.includes(p))).toEqual(expected);
    expect(events.find((e) => e.kind === 'approval.granted')?.actor).toBe('bob');
    const releases = JSON.parse(expectOk(await project.cli(['releases', '--json'])).stdout) as Array<{
      version: string;
      goodIn?: string[];
    }>;
    expect(releases.find((r) => r.version === version)?.goodIn).toEqual(['production']);
  }, 180_000);
});
