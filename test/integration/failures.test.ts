import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, spawnCli, type TestProject } from '../helpers/project.js';

// What goes wrong, with real processes: each failure gives one clear message and leaves v1 serving.

async function body(url: string): Promise<string> {
  return (await fetch(`${url}/`)).text();
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface TargetJson {
  id: string;
  release: string;
  pid: number | null;
  restarts: number;
  state: string;
}

async function targets(project: TestProject): Promise<{ active: string | null; targets: TargetJson[] }> {
  const [status] = JSON.parse(
    expectOk(await project.cli(['status', 'production', '--json'])).stdout,
  ) as Array<{
    hosts: Array<{ route: { active: string | null } | null; targets: TargetJson[] }>;
  }>;
  const env = status?.hosts[0];
  return { active: env?.route?.active ?? null, targets: env?.targets ?? [] };
}

describe('failures during and after a deploy', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  });
  afterAll(async () => project.dispose());

  it('a release that never passes its health check leaves v1 serving and its target stopped', async () => {
    project.writeConfig(project.config({ env: { FAIL_HEALTH: '1' }, healthStartTimeout: '2s' }));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0-unhealthy']));
    const result = await project.cli(['deploy', 'production', '--release', '2.0.0-unhealthy']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('release 2.0.0-unhealthy did not become healthy on local');
    expect(result.stderr).toMatch(/HTTP 503|503/);
    // It ran but never answered 2xx in time: the hint fits a slow or failing check, more time may be the fix.
    expect(result.stderr).toContain(
      'hint: check that the app answers 2xx on /healthz at $PORT, see "slipway logs", or raise healthCheck.startTimeout',
    );
    expect(await body(project.url)).toContain('hello 1.0.0');
    const after = await targets(project);
    expect(after.targets.map((t) => t.release)).toEqual(['1.0.0']);
  });

  it('a release that crashes at start fails fast with its stderr, and v1 keeps serving', async () => {
    project.writeConfig(project.config({ env: { CRASH_AT_START: '1' } }));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0-crash']));
    const result = await project.cli(['deploy', 'production', '--release', '2.0.0-crash']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('exited with code 3');
    expect(result.stderr).toContain('refusing to start');
    // It crashed: the hint says so, and that more start-up time is not the fix.
    expect(result.stderr).toContain(
      'hint: the app exited with code 3 as it started, so more time (healthCheck.startTimeout) would not help: its stderr above says why',
    );
    expect(result.stderr).not.toContain('raise healthCheck.startTimeout');
    expect(await body(project.url)).toContain('hello 1.0.0');
  });

  it('restarts a target killed with SIGKILL and records it in the ledger', async () => {
    const before = await targets(project);
    const serving = before.targets.find((t) => t.id === before.active);
    expect(serving?.pid).toBeGreaterThan(0);
    process.kill(serving?.pid ?? 0, 'SIGKILL');
    const restarted = await waitFor(async () => {
      const now = await targets(project);
      const t = now.targets.find((x) => x.id === serving?.id);
      return t && t.restarts >= 1 && t.pid !== serving?.pid && t.state === 'running' ? t : undefined;
    });
    expect(restarted.restarts).toBeGreaterThanOrEqual(1);
    expect(
      await waitFor(async () => ((await body(project.url)).includes('hello 1.0.0') ? true : undefined)),
    ).toBe(true);
    const history = JSON.parse(
      expectOk(await project.cli(['history', '--json', '--limit', '50'])).stdout,
    ) as Array<{ kind: string }>;
    expect(history.map((e) => e.kind)).toContain('target.restarted');
  });

  it('an agent killed with SIGKILL is replaced by one that adopts its targets', async () => {
    const before = await targets(project);
    const serving = before.targets.find((t) => t.id === before.active);
    const agentPid = project.agentPid();
    expect(agentPid).toBeGreaterThan(0);
    process.kill(agentPid ?? 0, 'SIGKILL');
    // The target process outlives the agent; the keeper starts a new agent, which adopts it.
    await waitFor(() => {
      const pid = project.agentPid();
      return Promise.resolve(pid !== null && pid !== agentPid ? pid : undefined);
    });
    const after = await waitFor(async () => {
      const now = await targets(project);
      return now.targets.length > 0 ? now : undefined;
    });
    expect(project.agentPid()).not.toBe(agentPid);
    const adopted = after.targets.find((t) => t.id === serving?.id);
    expect(adopted?.pid).toBe(serving?.pid);
    expect(after.active).toBe(serving?.id);
    expect(
      await waitFor(async () => ((await body(project.url)).includes('hello 1.0.0') ? true : undefined)),
    ).toBe(true);
  });

  it('a release that does not exist is refused with a hint, nothing changes', async () => {
    const result = await project.cli(['deploy', 'production', '--release', '9.9.9']);
    expect(result.code).toBe(2); // bad input
    expect(result.stderr).toContain('release 9.9.9 of hello does not exist');
    expect(result.stderr).toContain('hint:');
    expect(await body(project.url)).toContain('hello 1.0.0');
  });

  it('refuses to store a version again with other content or another configuration', async () => {
    project.writeConfig(project.config());
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0'])); // same content: fine
    project.writeConfig(project.config({ env: { GREETING: 'Changed' } }));
    const otherConfig = await project.cli(['release', 'create', '--version', '1.0.0']);
    expect(otherConfig.code).toBe(1);
    expect(otherConfig.stderr).toContain('release 1.0.0 of hello already exists with another configuration');
    project.writeConfig(project.config());
    writeFileSync(join(project.dir, 'extra.txt'), 'new content\n');
    const otherFiles = await project.cli(['release', 'create', '--version', '1.0.0']);
    rmSync(join(project.dir, 'extra.txt'));
    expect(otherFiles.code).toBe(1);
    expect(otherFiles.stderr).toMatch(/1\.0\.0/);
    expect(otherFiles.stderr).toMatch(/new version|another version|choose/i);
  });

  it('names the cause when a missing secret would be needed, before anything changes', async () => {
    project.writeConfig(project.config({ secrets: ['API_TOKEN'] }));
    expectOk(await project.cli(['release', 'create', '--version', '4.0.0-secret']));
    const result = await project.cli(['deploy', 'production', '--release', '4.0.0-secret']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('secret API_TOKEN has no value');
    expect(await body(project.url)).toContain('hello 1.0.0');
  });

  it('passes secrets to targets but never prints or stores their values', async () => {
    const secret = 'sw-test-secret-4b1d9f';
    const env = { SLIPWAY_SECRET_API_TOKEN: secret };
    const plan = expectOk(
      await project.cli(['plan', 'production', '--release', '4.0.0-secret', '--json'], env),
    );
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '4.0.0-secret'], env));
    const version = (await (await fetch(`${project.url}/api/version`)).json()) as {
      release: string;
      hasApiToken: boolean;
    };
    expect(version).toMatchObject({ release: '4.0.0-secret', hasApiToken: true });
    const history = expectOk(await project.cli(['history', '--json', '--limit', '100']));
    const status = expectOk(await project.cli(['status', '--json']));
    for (const output of [plan.stdout, deploy.stdout, deploy.stderr, history.stdout, status.stdout]) {
      expect(output).not.toContain(secret);
    }
    expect(plan.stdout).toContain('API_TOKEN');
  });

  it('redacts the secret values a target writes from `slipway logs` and `logs --follow`', async () => {
    const secret = 'sw-logged-secret-7c2e10';
    const env = { SLIPWAY_SECRET_API_TOKEN: secret };
    // LOG_API_TOKEN=1: the example app prints the token at start (stdout) and on each request (stderr).
    project.writeConfig(project.config({ secrets: ['API_TOKEN'], env: { LOG_API_TOKEN: '1' } }));
    expectOk(await project.cli(['release', 'create', '--version', '4.1.0-logs-secret']));
    expectOk(await project.cli(['deploy', 'production', '--release', '4.1.0-logs-secret'], env));
    expect(await body(project.url)).toContain('hello 4.1.0-logs-secret');

    const printed = await waitFor(async () => {
      const logs = expectOk(await project.cli(['logs', 'production']));
      return logs.stdout.includes('API_TOKEN for /:') ? logs.stdout : undefined;
    });
    expect(printed).toContain('API_TOKEN at start: [redacted]');
    expect(printed).toContain('API_TOKEN for /: [redacted]');
    expect(printed).not.toContain(secret);

    // --follow: lines written after it started (a request per round until one shows up) are redacted too.
    const follow = spawnCli(project, ['logs', 'production', '--follow']);
    try {
      await waitFor(() => Promise.resolve(follow.stdout().includes('API_TOKEN at start') ? true : undefined));
      await waitFor(async () => {
        await fetch(`${project.url}/followed`).then((r) => r.text());
        return follow.stdout().includes('API_TOKEN for /followed:') ? true : undefined;
      });
    } finally {
      follow.child.kill('SIGINT');
      await follow.done;
    }
    expect(follow.stdout()).toContain('API_TOKEN for /followed: [redacted]');
    expect(follow.stdout()).not.toContain(secret);
    expect(follow.stderr()).not.toContain(secret);
  });

  it('says so when there is no output to show, instead of printing nothing', async () => {
    const none = expectOk(await project.cli(['logs', 'production', '--target', 'no-such-target']));
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain(
      'no output from target no-such-target in production; "slipway status production" shows what runs there',
    );
  });
});

describe('bad input', () => {
  let project: TestProject;
  let blocker: Server | undefined;

  beforeAll(async () => {
    project = await createTestProject();
  });
  afterAll(async () => {
    await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
    await project.dispose();
  });

  it('validate lists every problem with file, line and key path, and exits 2', async () => {
    project.writeConfig(`app: hello
run:
  command: node server.js
healthCheck:
  interval: often
environments:
  production:
    publicPort: 8080
    strategy:
      kind: blue-green
      keepWarm: five minutes
      keepwarm: 5m
`);
    const result = await project.cli(['validate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/slipway\.yml:5:\d+: healthCheck\.interval: expected a duration like "5m"/);
    expect(result.stderr).toMatch(
      /slipway\.yml:11:\d+: environments\.production\.strategy\.keepWarm: expected a duration like "5m"/,
    );
    expect(result.stderr).toMatch(/slipway\.yml:12:\d+: .*unknown key "keepwarm"/);
  });

  it('a public port already in use gives a clear error and starts nothing', async () => {
    project.writeConfig(project.config());
    blocker = createServer((_req, res) => res.end('someone else'));
    await new Promise<void>((r) => blocker?.listen(project.port, '127.0.0.1', () => r()));
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    const result = await project.cli(['deploy', 'production', '--release', '1.0.0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`port ${project.port} on 127.0.0.1 is already in use`);
    const status = JSON.parse(expectOk(await project.cli(['status', '--json'])).stdout) as Array<{
      hosts: Array<{ targets: unknown[] }>;
    }>;
    expect(status[0]?.hosts[0]?.targets).toEqual([]);
  });

  it('a build output that does not exist is reported, and no release is stored', async () => {
    project.writeConfig(
      project.config().replace('command: node build.js', 'command: node build.js\n  path: dist-missing'),
    );
    const result = await project.cli(['release', 'create', '--version', '5.0.0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('dist-missing does not exist');
    const releases = expectOk(await project.cli(['releases', '--json']));
    expect(releases.stdout).not.toContain('5.0.0');
  });
});
