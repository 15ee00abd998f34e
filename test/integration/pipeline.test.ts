import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalHost } from '../../src/hosts/local-host.js';
import { removeTestDir, startTestSshd, type TestSshd } from '../../src/hosts/test-sshd.js';
import {
  CLI,
  createTestProject,
  expectOk,
  freePort,
  renderAppSection,
  spawnCli,
  type TestProject,
} from '../helpers/project.js';

// Pipelines with real processes: the real CLI, agent, router and targets; real time (no faked clock).
// An app's router owns one port per host, so staging runs on its own host: this machine over SSH (a throwaway
// sshd on loopback, with its own agent home), production on `local`.

interface LedgerEvent {
  kind: string;
  environment: string | null;
  release: string | null;
  message: string;
  actor: string;
  atMs: number;
  data?: Record<string, unknown>;
}

let stagingPort = 0;
let stagingHost = `    hosts: [local]`;

/** staging → production on two ports of this machine; `production` and `staging` add lines to each. */
function pipelineConfig(
  project: TestProject,
  o: {
    env?: Record<string, string>;
    staging?: string;
    production?: string;
    pipeline?: string;
    team?: string;
  } = {},
): string {
  return `${renderAppSection({ ...(o.env ? { env: o.env } : {}), unhealthyThreshold: 2 })}pipeline: ${o.pipeline ?? '[staging, production]'}
${o.team ?? ''}
environments:
  staging:
${stagingHost}
    publicPort: ${stagingPort}
    bindAddress: 127.0.0.1
    strategy: { kind: blue-green, keepWarm: 5m, drainTimeout: 2s }
${o.staging ?? ''}
  production:
    publicPort: ${project.port}
    bindAddress: 127.0.0.1
    strategy: { kind: blue-green, keepWarm: 5m, drainTimeout: 2s }
${o.production ?? ''}
`;
}

async function ledger(project: TestProject, env?: string): Promise<LedgerEvent[]> {
  const args = ['history', ...(env ? [env] : []), '--json', '--limit', '200'];
  return JSON.parse(expectOk(await project.cli(args)).stdout) as LedgerEvent[];
}

async function servedRelease(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/version`);
  return ((await res.json()) as { release: string }).release;
}

/** The CLI in the background as a person of the team. */
function spawnAs(project: TestProject, person: string, args: string[]) {
  const child = spawn(process.execPath, [CLI, '-c', join(project.dir, 'slipway.yml'), ...args], {
    env: { ...process.env, NO_COLOR: '1', SLIPWAY_USER: person },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<number>((r) => child.once('close', (code) => r(code ?? 1)));
  return { child, done, output: () => output };
}

/** "2026-11-26T10:00:00Z"-style, `deltaMs` from now, whole seconds. */
const isoFromNow = (deltaMs: number): string =>
  new Date(Math.floor((Date.now() + deltaMs) / 1000) * 1000).toISOString().replace('.000Z', 'Z');

describe('pipelines', () => {
  let project: TestProject;

  beforeEach(async () => {
    project = await createTestProject();
    stagingPort = await freePort();
  });
  afterEach(async () => project.dispose());

  it('promotes the same artifact from staging to production, refusing before staging ran it; automatic promotion goes through approval, window and bake to a good mark', async () => {
    const sshd: TestSshd = await startTestSshd();
    const agentHome = join(sshd.dir, 'home');
    stagingHost = `    hosts:\n      - { name: stage-1, address: 127.0.0.1, port: ${sshd.port}, user: root, identityFile: ${sshd.clientKey}, agentHome: ${agentHome} }`;
    try {
      await promotes(project);
    } finally {
      await new LocalHost(join(agentHome, 'agent')).stopAgent({ stopTargets: true }).catch(() => false);
      await sshd.stop();
      removeTestDir(sshd.dir);
      stagingHost = `    hosts: [local]`;
    }
  }, 150_000);
  it('a freeze blocks production; an override without a reason is refused, by a role that may not too; with a reason it proceeds', async () => {
    const freeze = `    freezes:\n      - { name: year-end, from: "${isoFromNow(-3_600_000)}", to: "${isoFromNow(3_600_000)}" }`;
    const team = 'team:\n  ana: { roles: [deployer] }\n  olga: { roles: [deployer, admin] }';
    project.writeConfig(pipelineConfig(project, { production: freeze, pipeline: '[production]', team }));
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    const deploy = (extra: string[], user: string) =>
      project.cli(['deploy', 'production', '--release', '1.0.0', ...extra], { SLIPWAY_USER: user });

    const blocked = await deploy([], 'olga');
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/freeze "year-end" is in force until/);
    const noReason = await deploy(['--override-freeze'], 'olga');
    expect(noReason.code).toBe(2); // bad input: the reason is missing
    expect(noReason.stderr).toContain('overriding a freeze needs a written reason');
    const notAllowed = await deploy(['--override-freeze', '--reason', 'I want to'], 'ana');
    expect(notAllowed.code).toBe(1);
    expect(notAllowed.stderr).toContain('ana may not override a freeze in production');
    await expect(fetch(project.url)).rejects.toThrow();

    expectOk(await deploy(['--override-freeze', '--reason', 'security fix that cannot wait'], 'olga'));
    expect(await servedRelease(project.port)).toBe('1.0.0');
    const overridden = (await ledger(project, 'production')).find((e) => e.kind === 'freeze.overridden');
    expect(overridden?.message).toContain('overridden by olga: security fix that cannot wait');
    expect(overridden?.data).toMatchObject({
      freeze: 'year-end',
      by: 'olga',
      reason: 'security fix that cannot wait',
    });
  });

  it('a deploy outside its window waits, shows when it will run, and runs when the window opens', async () => {
    // The next minute that is at least 10 s away, as a one-minute window in Kathmandu time (UTC+05:45).
    const opensAt = Math.ceil((Date.now() + 10_000) / 60_000) * 60_000;
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Kathmandu',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(new Date(opensAt));
    const part = (t: string): number => Number(local.find((p) => p.type === t)?.value);
    const window = `    windows:\n      - { cron: "${part('minute')} ${part('hour')} * * *", timezone: Asia/Kathmandu }`;
    project.writeConfig(pipelineConfig(project, { production: window, pipeline: '[production]' }));
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));

    const plan = expectOk(await project.cli(['plan', 'production', '--release', '1.0.0'])).stdout;
    expect(plan).toContain('wait until the deploy may start');

    const deploy = spawnCli(project, ['deploy', 'production', '--release', '1.0.0']);
    let status = '';
    for (let i = 0; i < 50 && !status.includes('waiting: runs at'); i++) {
      await new Promise((r) => setTimeout(r, 300));
      status = (await project.cli(['status', 'production'])).stdout;
    }
    expect(status).toContain(`waiting: runs at ${new Date(opensAt).toISOString()}`);
    const scheduled = (await ledger(project, 'production')).find((e) => e.kind === 'deploy.scheduled');
    expect(scheduled?.data?.runAtMs).toBe(opensAt);
    await expect(fetch(project.url)).rejects.toThrow();

    expect(await deploy.done).toBe(0);
    expect(await servedRelease(project.port)).toBe('1.0.0');
    const started = (await ledger(project, 'production')).find((e) => e.kind === 'deploy.succeeded');
    expect(started).toBeDefined();
  }, 150_000);

  it('deploy --at schedules; a killed waiting deploy is resumed and runs at its time', async () => {
    project.writeConfig(pipelineConfig(project, { pipeline: '[production]' }));
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    const at = isoFromNow(8_000);
    const deploy = spawnCli(project, ['deploy', 'production', '--release', '1.0.0', '--at', at]);
    let status = '';
    for (let i = 0; i < 30 && !status.includes('waiting: runs at'); i++) {
      await new Promise((r) => setTimeout(r, 300));
      status = (await project.cli(['status', 'production'])).stdout;
    }
    expect(status).toContain(`waiting: runs at ${at.replace('Z', '.000Z')}`);
    deploy.child.kill('SIGKILL');
    await deploy.done;

    const resumed = expectOk(await project.cli(['deploy', 'production', '--resume']));
    expect(resumed.stdout).toContain('is live in production');
    expect(await servedRelease(project.port)).toBe('1.0.0');
    const events = await ledger(project, 'production');
    expect(events.filter((e) => e.kind === 'deploy.scheduled').length).toBeGreaterThanOrEqual(1);
    // Nothing was switched before its time.
    const switched = events.find((e) => e.kind === 'traffic.switched');
    expect(switched?.atMs).toBeGreaterThanOrEqual(Date.parse(at));
  }, 90_000);

  it('bake: a good release is marked good; one that starts failing after the deploy is rolled back', async () => {
    const bake = `    bake:\n      duration: 5s\n      interval: 300ms\n      probe: { ratePerSecond: 20, path: / }`;
    project.writeConfig(pipelineConfig(project, { production: bake, pipeline: '[production]' }));
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    const releases = JSON.parse(expectOk(await project.cli(['releases', '--json'])).stdout) as Array<{
      version: string;
      goodIn: string[];
    }>;
    expect(releases.find((r) => r.version === '1.0.0')?.goodIn).toEqual(['production']);
    expect(expectOk(await project.cli(['status', 'production'])).stdout).toContain('good: 1.0.0');

    project.writeConfig(
      pipelineConfig(project, { production: bake, pipeline: '[production]', env: { FAIL_AFTER_MS: '2500' } }),
    );
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0-bad']));
    const bad = await project.cli(['deploy', 'production', '--release', '2.0.0-bad']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bake of 2\.0\.0-bad failed/);
    expect(await servedRelease(project.port)).toBe('1.0.0');
    const events = await ledger(project, 'production');
    const kinds = events.filter((e) => e.release === '2.0.0-bad').map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['bake.started', 'bake.failed', 'deploy.rolled-back']));
    expect(kinds).not.toContain('release.marked-good');
    const after = JSON.parse(expectOk(await project.cli(['releases', '--json'])).stdout) as Array<{
      version: string;
      goodIn: string[];
    }>;
    expect(after.find((r) => r.version === '2.0.0-bad')?.goodIn).toEqual([]);
  }, 90_000);
});

async function promotes(project: TestProject): Promise<void> {
  project.writeConfig(pipelineConfig(project));
  expectOk(await project.cli(['setup', 'staging', '--trust-new-hosts']));
  expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));

  const early = await project.cli(['promote-release', '1.0.0', 'production']);
  expect(early.code).toBe(1);
  expect(early.stderr).toContain('1.0.0 has not been deployed to staging successfully');
  const direct = await project.cli(['deploy', 'production', '--release', '1.0.0']);
  expect(direct.code).toBe(1);
  expect(direct.stderr).toContain('may not be deployed to production');

  const plan = expectOk(await project.cli(['plan', '--pipeline', '--release', '1.0.0'])).stdout;
  expect(plan).toMatch(/1\. staging/);
  expect(plan).toMatch(/✖ previous-environment: 1\.0\.0 has not been deployed to staging/);

  expectOk(await project.cli(['deploy', 'staging', '--release', '1.0.0']));
  expect(await servedRelease(stagingPort)).toBe('1.0.0');
  expectOk(await project.cli(['promote-release', '1.0.0', 'production']));
  expect(await servedRelease(project.port)).toBe('1.0.0');

  const releases = JSON.parse(expectOk(await project.cli(['releases', '--json'])).stdout) as Array<{
    version: string;
    sha256: string;
  }>;
  const promoted = (await ledger(project, 'production')).find((e) => e.kind === 'release.promoted');
  expect(promoted?.data).toMatchObject({ from: 'staging', to: 'production', sha256: releases[0]?.sha256 });
  const deployments = (await ledger(project)).filter((e) => e.kind === 'deploy.succeeded');
  expect(deployments.map((e) => [e.environment, e.release])).toEqual([
    ['production', '1.0.0'],
    ['staging', '1.0.0'],
  ]);

  // promote: automatic — a deploy to staging goes on to production by itself, through production's approval,
  // window and bake: the release ends marked good there, the whole way in the ledger.
  const production = [
    '    approvals: { required: [{ role: approver, count: 1 }] }',
    '    windows: [{ cron: "* * * * *", timezone: Pacific/Chatham }]',
    '    bake: { duration: 3s, interval: 300ms, probe: { ratePerSecond: 20, path: / } }',
  ].join('\n');
  project.writeConfig(
    pipelineConfig(project, {
      env: { GREETING: 'Hi' },
      pipeline: '[{ environment: staging, promote: automatic }, production]',
      team: 'team:\n  olga: { roles: [deployer] }\n  bob: { roles: [approver] }',
      production,
    }),
  );
  expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
  const deploy = spawnAs(project, 'olga', ['deploy', 'staging', '--release', '2.0.0']);
  let requested: LedgerEvent | undefined;
  for (let i = 0; i < 200 && !requested; i++) {
    await new Promise((r) => setTimeout(r, 300));
    requested = (await ledger(project, 'production')).find(
      (e) => e.kind === 'approval.requested' && e.release === '2.0.0',
    );
  }
  expect(requested).toBeDefined();
  expect(await servedRelease(stagingPort)).toBe('2.0.0');
  expect(await servedRelease(project.port)).toBe('1.0.0');
  expectOk(
    await project.cli(['approve', 'production', '--comment', 'looks good on staging'], {
      SLIPWAY_USER: 'bob',
    }),
  );
  expect(await deploy.done).toBe(0);
  expect(await servedRelease(project.port)).toBe('2.0.0');

  const releases2 = JSON.parse(expectOk(await project.cli(['releases', '--json'])).stdout) as Array<{
    version: string;
    goodIn: string[];
  }>;
  expect(releases2.find((r) => r.version === '2.0.0')?.goodIn).toEqual(['production']);
  const story = (await ledger(project))
    .filter((e) => e.release === '2.0.0')
    .reverse()
    .map((e) => `${e.environment ?? '-'} ${e.kind}`);
  const expected = [
    'staging deploy.succeeded',
    'production release.promoted',
    'production approval.requested',
    'production approval.granted',
    'production bake.started',
    'production bake.passed',
    'production deploy.succeeded',
    'production release.marked-good',
  ];
  expect(story.filter((line) => expected.includes(line))).toEqual(expected);
  const granted = (await ledger(project, 'production')).find((e) => e.kind === 'approval.granted');
  expect(granted?.actor).toBe('bob');
}
