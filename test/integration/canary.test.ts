import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load-loop.js';
import { createTestProject, expectOk, freePort, spawnCli, type TestProject } from '../helpers/project.js';
import { startPrometheus, waitForSeries, type RunningPrometheus } from '../helpers/prometheus.js';
import { waitFor } from '../helpers/wait-for.js';

// Canary releases with real processes: the router splits real traffic, the control plane judges real metrics.

const canary = (steps: string, analysis = '') => `      kind: canary
      steps:
${steps}
      analysis:
        interval: 300ms
        minRequests: 40
${analysis}`;

interface HistoryEvent {
  kind: string;
  message: string;
  data?: { result?: string };
}

async function history(project: TestProject): Promise<HistoryEvent[]> {
  return JSON.parse(
    expectOk(await project.cli(['history', 'production', '--json', '--limit', '100'])).stdout,
  ) as HistoryEvent[];
}

/** Until a deploy run by spawnCli reaches its `pause: {}` (the split is in place by then). */
async function waitForPause(deploy: ReturnType<typeof spawnCli>): Promise<void> {
  let exited: number | null = null;
  void deploy.done.then((code) => (exited = code));
  await waitFor(
    'the deploy to wait for promote',
    () => {
      if (deploy.stdout().includes('wait for promote')) return Promise.resolve(true);
      // A deploy that ended before its pause says why, instead of a timeout with nothing to go on.
      if (exited !== null) {
        throw new Error(
          `the deploy exited (${exited}) before its pause:\n${deploy.stdout()}\n${deploy.stderr()}`,
        );
      }
      return Promise.resolve(undefined);
    },
    30_000,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\nits output so far:\n${deploy.stdout()}\n${deploy.stderr()}`);
  });
}

async function release(
  project: TestProject,
  version: string,
  env: Record<string, string>,
  strategy: string,
  extra?: string,
) {
  project.writeConfig(project.config({ env, strategy, ...(extra ? { environmentExtra: extra } : {}) }));
  expectOk(await project.cli(['release', 'create', '--version', version]));
}

describe('canary releases', () => {
  let project: TestProject;

  beforeEach(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  });
  afterEach(async () => project.dispose());

  it('aborts a canary that answers 5xx on 20% of requests, under load, and users on stable see no errors', async () => {
    // The tripwire is off: this proves the control plane's judge (its 5xx threshold) end to end.
    await release(
      project,
      '2.0.0-bad',
      { ERROR_RATE: '0.2' },
      canary(
        '        - setWeight: 20\n        - analysis: { timeout: 60s }\n        - setWeight: 100',
        '        tripwire: false\n',
      ),
    );
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    const deploy = await project.cli(['deploy', 'production', '--release', '2.0.0-bad']);
    const report = await load.stop();

    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/canary analysis failed: canary 5xx rate [\d.]+% \(\d+ of \d+ requests\)/);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
    // Every failure came from the canary; stable answered everything it got.
    expect(report.byRelease['1.0.0']).toBeGreaterThan(0);
    expect(report.failures.every((f) => f === 'status 500')).toBe(true);
    expect(report.failedByRelease['1.0.0'] ?? 0).toBe(0);
    expect(report.failed).toBe(report.failedByRelease['2.0.0-bad']);
    const events = await history(project);
    expect(events.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['canary.verdict', 'deploy.rolled-back']),
    );
    expect(events.find((e) => e.kind === 'canary.verdict')?.data?.result).toBe('failed');
    const status = JSON.parse(
      expectOk(await project.cli(['status', 'production', '--json'])).stdout,
    ) as Array<{ hosts: Array<{ targets: Array<{ release: string }> }> }>;
    expect(status[0]?.hosts[0]?.targets.map((t) => t.release)).toEqual(['1.0.0']);
  });

  it('catches a version that is 150 ms slower with the latency comparison', async () => {
    // The tripwire is off: this proves the judge's Mann-Whitney comparison end to end.
    await release(
      project,
      '2.0.0-slow',
      { EXTRA_LATENCY_MS: '150' },
      canary('        - setWeight: 30\n        - analysis: { timeout: 60s }', '        tripwire: false\n'),
    );
    const load = startLoad(project.url, { concurrency: 8, maxMs: 60_000 });
    await load.warm();
    const deploy = await project.cli(['deploy', 'production', '--release', '2.0.0-slow']);
    const report = await load.stop();
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/canary median \d+ms vs stable \d+ms/);
    expect(report.failed).toBe(0);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
  });

  it("the router's tripwire takes a 5xx canary's traffic away within a few of its answers; status and history say why", async () => {
    await release(
      project,
      '2.0.0-bad',
      { ERROR_RATE: '0.2' },
      canary('        - setWeight: 20\n        - analysis: { timeout: 60s }\n        - setWeight: 100'),
    );
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await load.warm(200); // stable has a record to compare with
    const deploy = await project.cli(['deploy', 'production', '--release', '2.0.0-bad']);
    const report = await load.stop();

    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/canary analysis failed: tripwire: \d+ of \d+ canary responses were 5xx/);
    expect(report.failedByRelease['1.0.0'] ?? 0).toBe(0);
    expect(report.failed).toBe(report.failedByRelease['2.0.0-bad']);
    // The evidence needs a handful of 5xx answers at 99%, not dozens (the judge's interval is not waited for).
    expect(report.failed).toBeLessThan(25);
    const events = await history(project);
    const tripped = events.find(
      (e) => e.kind === 'canary.tripped' && /gets 0% of users: tripwire/.test(e.message),
    );
    expect(tripped).toBeDefined();
    expect(events.find((e) => e.kind === 'canary.verdict')?.data?.result).toBe('failed');
    const status = JSON.parse(
      expectOk(await project.cli(['status', 'production', '--json'])).stdout,
    ) as Array<{
      canaryVerdict: { message: string; verdict: { result: string } } | null;
    }>;
    expect(status[0]?.canaryVerdict?.verdict.result).toBe('failed');
    expect(status[0]?.canaryVerdict?.message).toMatch(/tripwire: \d+ of \d+ canary responses were 5xx/);
    expect(expectOk(await project.cli(['status', 'production'])).stdout).toMatch(/tripwire/);
  });

  it('the tripwire catches a version that is 150 ms slower from its first few answers, and no request fails', async () => {
    await release(
      project,
      '2.0.0-slow',
      { EXTRA_LATENCY_MS: '150' },
      canary('        - setWeight: 30\n        - analysis: { timeout: 60s }'),
    );
    const load = startLoad(project.url, { concurrency: 8, maxMs: 60_000 });
    await load.warm(200);
    const deploy = await project.cli(['deploy', 'production', '--release', '2.0.0-slow']);
    const report = await load.stop();
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/tripwire: \d+ of \d+ canary responses took longer than \d+ ms/);
    expect(report.failed).toBe(0);
    // Only the few requests the evidence needed went to the slow version.
    expect(report.byRelease['2.0.0-slow'] ?? 0).toBeLessThan(40);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
  });

  it('promotes a good version through every step to 100% with no failed request', async () => {
    await release(
      project,
      '2.0.0',
      {},
      canary(
        '        - setWeight: 10\n        - analysis: { timeout: 60s }\n        - setWeight: 50\n        - pause: 500ms\n        - analysis: { timeout: 60s }',
      ),
    );
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    const report = await load.stop();
    expect(deploy.stdout).toMatch(
      /canary weight 10%[\s\S]*analysis verdict[\s\S]*canary weight 50%[\s\S]*switch traffic to 2\.0\.0/,
    );
    expect(report.failed).toBe(0);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 2.0.0');
  });

  it('judges the analysis after setWeight 50 on what came after the change, not on the samples at 10%', async () => {
    await release(
      project,
      '2.0.0',
      {},
      canary(
        '        - setWeight: 10\n        - pause: {}\n        - setWeight: 50\n        - analysis: { timeout: 1s }',
        '        tripwire: false\n',
      ),
    );
    const deploy = spawnCli(project, ['deploy', 'production', '--release', '2.0.0']);
    await waitForPause(deploy);
    // At 10% the canary serves enough to pass; then the load stops before the weight goes to 50%.
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await waitFor('a successful verdict at 10%', async () =>
      (await history(project)).some((e) => e.kind === 'canary.verdict' && e.data?.result === 'successful')
        ? true
        : undefined,
    );
    await load.stop();
    expectOk(await project.cli(['promote', 'production']));

    // Nothing served since setWeight 50: the analysis there is inconclusive and waits, however good 10% was.
    const atFifty = await Promise.race([
      deploy.done.then((code) => `the deploy ended with ${code}`),
      waitFor(
        'the analysis at 50% to wait for promote',
        () =>
          Promise.resolve(
            /canary weight 50%[\s\S]*waiting for slipway promote/.test(deploy.stdout()) || undefined,
          ),
        30_000,
      ).then(() => 'waiting for promote'),
    ]);
    expect(atFifty).toBe('waiting for promote');
    expect(deploy.stdout()).not.toContain('switch traffic to 2.0.0');
    // Traffic at 50% brings the verdict on this step, and the deployment goes on.
    const more = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    const code = await deploy.done;
    const report = await more.stop();
    expect(code).toBe(0);
    expect(report.failed).toBe(0);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 2.0.0');
  });

  it('keeps a user on their version (sticky cookie), lets testers opt in, and waits for promote on pause {}', async () => {
    await release(project, '2.0.0', {}, canary('        - setWeight: 50\n        - pause: {}'));
    const deploy = spawnCli(project, ['deploy', 'production', '--release', '2.0.0']);
    await waitForPause(deploy);

    // A new user gets a bucket cookie; with it, every later request lands on the same version.
    const first = await fetch(`${project.url}/`);
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^slipway_canary=\d+$/);
    const releases = new Set<string>();
    for (let i = 0; i < 30; i++)
      releases.add((await fetch(`${project.url}/`, { headers: { cookie } })).headers.get('x-release') ?? '');
    expect(releases.size).toBe(1);
    expect(releases.has(first.headers.get('x-release') ?? '')).toBe(true);
    // A tester opts in (or out) whatever the bucket.
    const optIn = await fetch(`${project.url}/`, {
      headers: { cookie: 'slipway_canary=99', 'x-slipway-canary': 'always' },
    });
    expect(optIn.headers.get('x-release')).toBe('2.0.0');
    const optOut = await fetch(`${project.url}/`, {
      headers: { cookie: 'slipway_canary=0', 'x-slipway-canary': 'never' },
    });
    expect(optOut.headers.get('x-release')).toBe('1.0.0');
    // A browser opts in (or out) with the sticky cookie itself; the router leaves the tester's cookie alone.
    for (const [value, release] of [
      ['always', '2.0.0'],
      ['never', '1.0.0'],
    ] as const) {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${project.url}/`, { headers: { cookie: `a=b; slipway_canary=${value}` } });
        expect(res.headers.get('x-release')).toBe(release);
        expect(res.headers.get('set-cookie')).toBeNull();
      }
    }

    const status = expectOk(await project.cli(['status', 'production']));
    expect(status.stdout).toContain('canary 50%');
    expect(status.stdout).toMatch(/now: wait for promote on control-plane \(stage "wait for promote"/);
    expect(expectOk(await project.cli(['promote', 'production'])).stdout).toContain(
      'promote of 2.0.0 in production requested',
    );
    expect(await deploy.done).toBe(0);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 2.0.0');
    expect((await history(project)).map((e) => e.kind)).toContain('deploy.promote-requested');
  });

  it('a resumed canary is judged again while paused: a bad one left at its weight across an interruption fails', async () => {
    // The tripwire is off, so only the control plane's judge can end this canary.
    await release(
      project,
      '2.0.0-bad',
      { ERROR_RATE: '0.2' },
      canary('        - setWeight: 20\n        - pause: {}', '        tripwire: false\n'),
    );
    const deploy = spawnCli(project, ['deploy', 'production', '--release', '2.0.0-bad']);
    await waitForPause(deploy);
    deploy.child.kill('SIGINT');
    expect(await deploy.done).toBe(130);
    expect(deploy.stdout()).toContain('interrupted; continue it with: slipway deploy production --resume');

    // Users keep reaching the canary at 20% while nothing runs; the resumed deployment has only the pause left.
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    const resumed = await project.cli(['deploy', 'production', '--resume']);
    await load.stop();
    expect(resumed.code).toBe(1);
    expect(resumed.stdout).toMatch(/weight 20%[\s\S]*done before the interruption/);
    expect(resumed.stderr).toMatch(/canary analysis failed: canary 5xx rate [\d.]+% \(\d+ of \d+ requests\)/);
    const events = await history(project);
    expect(events.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['deploy.resumed', 'deploy.rolled-back']),
    );
    expect(events.find((e) => e.kind === 'canary.verdict')?.data?.result).toBe('failed');
    const res = await fetch(`${project.url}/`, { headers: { 'x-slipway-canary': 'always' } });
    expect(res.headers.get('x-release')).toBe('1.0.0');
  });

  it('abort stops a paused canary at once', async () => {
    await release(project, '2.0.0', {}, canary('        - setWeight: 20\n        - pause: {}'));
    const deploy = spawnCli(project, ['deploy', 'production', '--release', '2.0.0']);
    await waitForPause(deploy);
    expectOk(await project.cli(['abort', 'production', '--reason', 'looks wrong']));
    expect(await deploy.done).toBe(1);
    const res = await fetch(`${project.url}/`, { headers: { 'x-slipway-canary': 'always' } });
    expect(res.headers.get('x-release')).toBe('1.0.0');
  });
});

describe('canary analysis with a real Prometheus scraping the router', () => {
  let project: TestProject;
  let prometheus: RunningPrometheus | undefined;

  afterAll(async () => {
    await prometheus?.stop();
    await project?.dispose();
  });

  it('fails a canary on a PromQL check over the router metrics', async () => {
    project = await createTestProject();
    const metricsPort = await freePort();
    const extra = `    metricsPort: ${metricsPort}`;
    await release(project, '1.0.0', {}, '      kind: blue-green', extra);
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    prometheus = await startPrometheus(`127.0.0.1:${metricsPort}`);
    await waitForSeries(prometheus.url, 'slipway_router_requests_total');

    // Router-side thresholds are switched off (100%), so only the Prometheus check can fail this canary.
    const query = `sum(increase(slipway_router_errors_total{release="{{release}}"}[1m])) / sum(increase(slipway_router_requests_total{release="{{release}}"}[1m]))`;
    await release(
      project,
      '2.0.0-bad',
      { ERROR_RATE: '0.5' },
      canary(
        '        - setWeight: 50\n        - analysis: { timeout: 60s }',
        `        maxErrorRate: 1\n        errorRateTolerance: 1\n        latencyTolerance: 100\n        checks:\n          - kind: prometheus\n            name: canary-error-ratio\n            url: ${prometheus.url}\n            query: '${query}'\n            max: 0.1`,
      ),
      extra,
    );
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    const deploy = await project.cli(['deploy', 'production', '--release', '2.0.0-bad']);
    await load.stop();
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain('canary-error-ratio');
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
  });
});

describe('canary of a quiet app', () => {
  let project: TestProject;

  afterAll(async () => project?.dispose());

  it('is judged on synthetic probe traffic and promoted, with no user traffic at all', async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    await release(
      project,
      '2.0.0',
      {},
      canary(
        '        - setWeight: 5\n        - analysis: { timeout: 60s }',
        '        probe: { ratePerSecond: 50 }',
      ),
    );
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    expect(deploy.stdout).toMatch(/analysis verdict on control-plane \(.*\) successful/);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 2.0.0');
  });
});
