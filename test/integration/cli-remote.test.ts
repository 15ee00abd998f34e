import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REFUSED_PORT,
  createTestProject,
  expectOk,
  runCli,
  spawnCliProcess,
  type TestProject,
} from '../helpers/project.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The CLI's --server mode against a real `slipway server` (child process, real HTTP on loopback): the same verbs
// and output as locally, the token from SLIPWAY_TOKEN, the server's refusals printed as error/hint.

const TEAM = `team:
  alice: { roles: [deployer] }
  bob: { roles: [approver] }
`;
const APPROVALS = '    approvals: { required: [{ role: approver, count: 1 }], expiresAfter: 1h }';

describe('slipway --server (reads and refusals)', () => {
  let project: TestProject;
  let server: TestServer;
  let viewer: string;

  const remote = (token: string | null, args: string[], env: Record<string, string> = {}) =>
    runCli(['--server', server.url, ...args], { ...(token ? { SLIPWAY_TOKEN: token } : {}), ...env });

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    server = await startTestServer(project);
    viewer = await server.token('watcher', ['viewer']);
  });
  afterAll(async () => {
    await server?.stop();
    await project?.dispose();
  });

  it('lists releases, status and history as the local verbs print them', async () => {
    const releases = expectOk(await remote(viewer, ['releases'])).stdout;
    const local = expectOk(await project.cli(['releases'])).stdout;
    expect(releases).toBe(local);

    const status = JSON.parse(
      expectOk(await remote(viewer, ['status', 'production', '--json'])).stdout,
    ) as Array<{
      environment: string;
      lastDeployment: { release: string; phase: string } | null;
    }>;
    expect(status.map((s) => [s.environment, s.lastDeployment?.release, s.lastDeployment?.phase])).toEqual([
      ['production', '1.0.0', 'succeeded'],
    ]);
    const text = expectOk(await remote(viewer, ['status'])).stdout;
    expect(text).toMatch(/serving\s+1\.0\.0/);

    const history = expectOk(await remote(viewer, ['history', 'production'])).stdout;
    expect(history).toMatch(/deploy\.succeeded\s+production\s+deploy of 1\.0\.0 to production succeeded/);
  });

  it('a refused token exits non-zero and says to set SLIPWAY_TOKEN from `slipway token create`', async () => {
    const result = await remote('slp_not-a-real-token', ['releases']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: the server refused the token (unknown, revoked or expired)');
    expect(result.stderr).toContain('hint: set SLIPWAY_TOKEN to a token from `slipway token create`');
    const none = await remote(null, ['releases']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('SLIPWAY_TOKEN is not set');
  });

  it('a viewer deploying is refused with the role it needs named', async () => {
    const result = await remote(viewer, ['deploy', 'production', '--release', '1.0.0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: not allowed: watcher may not deploy in production');
    expect(result.stderr).toMatch(/hint: .*deployer:production/);
  });

  it('refuses --token, local-only verbs and local-only options instead of running them here', async () => {
    const token = await remote(null, ['--token', viewer, 'releases']);
    expect([token.code, token.stderr]).toEqual([
      2, // bad input, as every refused argument
      expect.stringContaining('the token is never an argument') as string,
    ]);
    expect(token.stdout).toBe('');
    const setup = await remote(viewer, ['setup', 'production', '--trust-new-hosts']);
    expect(setup.code).toBe(2);
    expect(setup.stderr).toContain('`slipway setup` does not work over --server');
    const follow = await remote(viewer, ['logs', 'production', '--follow']);
    expect(follow.stderr).toContain('--follow of `slipway logs` is not available over --server');
    const config = await remote(viewer, ['-c', project.dir, 'releases']);
    expect(config.stderr).toContain(
      "-c/--config is for running Slipway here; with --server the server's project is used",
    );
  });

  it('takes the server from SLIPWAY_SERVER, and names the URL when nothing listens there', async () => {
    const fromEnv = await runCli(['releases'], { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: viewer });
    expect(expectOk(fromEnv).stdout).toContain('1.0.0');
    const nowhere = `http://127.0.0.1:${REFUSED_PORT}`;
    const refused = await runCli(['--server', nowhere, 'releases'], { SLIPWAY_TOKEN: viewer });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `error: cannot reach the Slipway server at ${nowhere}: connection refused`,
    );
  });
});

/** The remote CLI as a child process, for a deploy that waits (approval) or is interrupted (Ctrl-C). */
function spawnRemote(serverUrl: string, args: string[], token: string) {
  return spawnCliProcess(['--server', serverUrl, ...args], { SLIPWAY_TOKEN: token });
}

/** Waits (bounded) until the server's ledger has an event of this kind for this release; its deployment id. */
async function waitForEvent(
  server: TestServer,
  token: string,
  kind: string,
  release: string,
): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const events = (await (await server.fetch(`/api/v1/ledger?limit=50`, token)).json()) as Array<{
      kind: string;
      release: string | null;
      deploymentId: string | null;
    }>;
    const hit = events.find((e) => e.kind === kind && e.release === release && e.deploymentId);
    if (hit?.deploymentId) return hit.deploymentId;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no ${kind} event for ${release} in the server's ledger`);
}

describe('slipway --server (deployments run by the server)', () => {
  let project: TestProject;
  let server: TestServer;
  let deployer: string;
  let approver: string;

  const remote = (token: string, args: string[]) =>
    runCli(['--server', server.url, ...args], { SLIPWAY_TOKEN: token });

  beforeAll(async () => {
    project = await createTestProject();
    project.writeConfig(project.config() + TEAM);
    server = await startTestServer(project);
    deployer = await server.token('alice', ['deployer:production']);
    approver = await server.token('bob', ['approver:production']);
  });
  afterAll(async () => {
    await server?.stop();
    await project?.dispose();
  });
  // The server reads slipway.yml once, on start (tokens stay: they are in the store).
  const restartWith = async (config: string, args: string[] = []): Promise<void> => {
    await server.stop();
    project.writeConfig(config);
    server = await startTestServer(project, { args });
  };

  /** A canary needs a release serving to compare with (when a test runs alone, nothing does yet). */
  const ensureServing = async (release: string): Promise<void> => {
    const serving = await fetch(`${project.url}/`).then(
      () => true,
      () => false,
    );
    if (!serving) expectOk(await remote(deployer, ['deploy', 'production', '--release', release]));
  };

  it('builds a release, deploys it with the live view and exit 0, and status and history show it', async () => {
    const created = expectOk(await remote(deployer, ['release', 'create', '--version', '1.0.0']));
    expect(created.stdout).toMatch(/✔ release 1\.0\.0 stored: [0-9a-f]{12}, \d+ bytes/);

    const deploy = expectOk(await remote(deployer, ['deploy', 'production', '--release', '1.0.0']));
    expect(deploy.stdout).toMatch(/Deploying hello 1\.0\.0 to production \(blue-green, deployment d\w+\)/);
    // The plain renderer (not a terminal): the same lines as a local deploy.
    expect(deploy.stdout).toMatch(/stage prepare\n/);
    expect(deploy.stdout).toMatch(/ {3}start {3}install 1\.0\.0 on local/);
    expect(deploy.stdout).toMatch(/ {3}ok {6}switch .* on local/);
    expect(deploy.stdout).toContain('✔ 1.0.0 is live in production');
    expect(await (await fetch(`${project.url}/`)).text()).toContain('1.0.0');

    const status = expectOk(await remote(deployer, ['status', 'production'])).stdout;
    expect(status).toMatch(/serving\s+1\.0\.0/);
    expect(status).toMatch(/last: deploy 1\.0\.0 succeeded .* by alice/);
    const history = expectOk(await remote(deployer, ['history', 'production'])).stdout;
    expect(history).toMatch(
      /deploy\.succeeded\s+production\s+deploy of 1\.0\.0 to production succeeded by alice/,
    );

    const promote = await remote(deployer, ['promote', 'production']);
    expect([promote.code, promote.stderr]).toEqual([
      1,
      expect.stringContaining('error: no deployment is running in production') as string,
    ]);
    const follow = await remote(deployer, ['follow', 'dnope']);
    expect([follow.code, follow.stderr]).toEqual([2, 'error: no deployment dnope\n']);
    // A name that is not there is bad input over --server too, as locally (exit 2).
    const plan = await remote(deployer, ['plan', 'production', '--release', '9.9.9']);
    expect([plan.code, plan.stderr.split('\n')[0]]).toEqual([
      2,
      'error: release 9.9.9 of hello does not exist',
    ]);
  });

  it('rolls back with the live view: 2.0.0 deployed, then back to the warm 1.0.0', async () => {
    await restartWith(project.config({ env: { GREETING: 'Hi' } }) + TEAM);
    expectOk(await remote(deployer, ['release', 'create', '--version', '2.0.0']));
    expectOk(await remote(deployer, ['deploy', 'production']));
    expect(await (await fetch(`${project.url}/`)).text()).toContain('Hi from hello 2.0.0');

    const back = expectOk(await remote(deployer, ['rollback', 'production', '--reason', 'try the old one']));
    expect(back.stdout).toMatch(/^Rolling production back to hello 1\.0\.0 \(/m);
    expect(back.stdout).toContain('✔ 1.0.0 is live in production');
    expect(await (await fetch(`${project.url}/`)).text()).toContain('Hello from hello 1.0.0');
    const history = expectOk(await remote(deployer, ['history', 'production'])).stdout;
    expect(history).toMatch(
      /rollback\.succeeded\s+production\s+rollback of production to 1\.0\.0 succeeded by alice/,
    );
  });

  it('approve through the CLI: the deploy waits, Ctrl-C detaches it, the approver approves, follow sees it end; a deploy queued behind it is rejected', async () => {
    await restartWith(project.config({ environmentExtra: APPROVALS, env: { GREETING: 'Hey' } }) + TEAM);
    expectOk(await remote(deployer, ['release', 'create', '--version', '3.0.0']));
    expectOk(await remote(deployer, ['release', 'create', '--version', '3.0.1']));
    const deploy = spawnRemote(server.url, ['deploy', 'production', '--release', '3.0.0'], deployer);
    const id = await waitForEvent(server, deployer, 'approval.requested', '3.0.0');
    // The live view said where to approve before it waited.
    await waitFor(() => deploy.stdout().includes(`approve ${id}`));
    deploy.child.kill('SIGINT');
    expect(await deploy.done).toBe(130);
    expect(deploy.stderr()).toContain(`detached: deployment ${id} goes on on the server`);
    expect(deploy.stderr()).toContain(`slipway --server ${server.url} follow ${id}`);

    // A second deploy waits in the queue while the first holds the environment, and says so.
    const second = spawnRemote(server.url, ['deploy', 'production', '--release', '3.0.1'], deployer);
    await waitFor(() => second.stdout().includes('this job waits for its turn'));
    expect(second.stdout()).toContain(
      `deployment ${id} (deploy of 3.0.0 by alice, waiting-for-approval) holds production`,
    );

    const follow = spawnRemote(server.url, ['follow', id], deployer);
    // Separation of duties: the deployer's token cannot approve; the server names the grant needed.
    const self = await remote(deployer, ['approve', id]);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('error: not allowed: alice may not approve in production');
    expect(self.stderr).toMatch(/hint: .*approver:production/);
    const approved = expectOk(await remote(approver, ['approve', id, '--comment', 'looks good']));
    expect(approved.stdout).toContain(`approved: the deployment may go on (deployment ${id})`);
    expect(await follow.done).toBe(0);
    expect(follow.stdout()).toContain('✔ 3.0.0 is live in production');
    expect(await (await fetch(`${project.url}/`)).text()).toContain('Hey from hello 3.0.0');
    const history = expectOk(await remote(approver, ['history', 'production'])).stdout;
    expect(history).toMatch(/approval\.granted .* looks good by bob/);

    // Then the second runs and waits for approval; a rejection through the CLI fails it (exit 1) unchanged.
    await waitForEvent(server, deployer, 'approval.requested', '3.0.1');
    const rejected = expectOk(await remote(approver, ['reject', 'production', '--comment', 'not today']));
    expect(rejected.stdout).toMatch(/✖ rejected deployment d\w+ of 3\.0\.1/);
    expect(await second.done).toBe(1);
    expect(second.stderr()).toContain('rejected by bob: not today');
    expect(await (await fetch(`${project.url}/`)).text()).toContain('Hey from hello 3.0.0');
  });

  it('losing the server while following exits 1 and says how to follow again; the deployment goes on after a restart', async () => {
    const config = project.config({ environmentExtra: APPROVALS, env: { GREETING: 'Yo' } }) + TEAM;
    const takeover = ['--takeover-after', '1s'];
    await restartWith(config, takeover);
    expectOk(await remote(deployer, ['release', 'create', '--version', '5.0.0']));
    const deploy = spawnRemote(server.url, ['deploy', 'production', '--release', '5.0.0'], deployer);
    const id = await waitForEvent(server, deployer, 'approval.requested', '5.0.0');
    await waitFor(() => deploy.stdout().includes(`approve ${id}`));
    const oldUrl = server.url;
    await server.stop();
    expect(await deploy.done).toBe(1);
    expect(deploy.stderr()).toContain(
      `error: stopped following deployment ${id}: cannot reach the Slipway server at ${oldUrl}: connection refused`,
    );
    expect(deploy.stderr()).toContain(
      `hint: it goes on on the server; follow it again with: slipway --server ${oldUrl} follow ${id}`,
    );

    // A new server on the same store takes the job over and resumes the deployment; it still waits for approval.
    server = await startTestServer(project, { args: takeover });
    const follow = spawnRemote(server.url, ['follow', id], deployer);
    expectOk(await remote(approver, ['approve', id]));
    expect(await follow.done).toBe(0);
    expect(follow.stdout()).toContain('✔ 5.0.0 is live in production');
    expect(await (await fetch(`${project.url}/`)).text()).toContain('Yo from hello 5.0.0');
  });

  it('a deployment that fails exits 1 with the error, and the previous release still serves', async () => {
    // What the earlier tests of this block left serving (nothing when this one runs alone).
    const before = await fetch(`${project.url}/`).then(
      async (r) => (await r.text()).match(/hello (\S+)/)?.[1] ?? null,
      () => null,
    );
    await restartWith(project.config({ env: { FAIL_HEALTH: '1' }, healthStartTimeout: '2s' }) + TEAM);
    expectOk(await remote(deployer, ['release', 'create', '--version', '4.0.0-unhealthy']));
    const deploy = await remote(deployer, ['deploy', 'production', '--release', '4.0.0-unhealthy']);
    expect(deploy.code).toBe(1);
    expect(deploy.stdout).toMatch(/FAILED {2}health check/);
    expect(deploy.stderr).toContain(`✖ deploy of 4.0.0-unhealthy to production failed`);
    expect(deploy.stderr).toContain(before ? `; ${before} still serves` : '; nothing was serving before');
    expect(deploy.stderr).toContain('error: release 4.0.0-unhealthy did not become healthy on local');
    if (before) expect(await (await fetch(`${project.url}/`)).text()).toContain(`hello ${before}`);
  });

  it('promote and abort a paused canary through the CLI, by deployment id and by environment', async () => {
    const canary = '      kind: canary\n      steps:\n        - setWeight: 20\n        - pause: {}';
    await restartWith(project.config({ strategy: canary, env: { GREETING: 'Canary' } }) + TEAM);
    for (const v of ['6.0.0', '6.0.1', '6.0.2'])
      expectOk(await remote(deployer, ['release', 'create', '--version', v]));
    await ensureServing('6.0.0');

    const first = spawnRemote(server.url, ['deploy', 'production', '--release', '6.0.1'], deployer);
    const id = await waitForEvent(server, deployer, 'deploy.started', '6.0.1');
    await waitFor(
      () => /start {3}wait for promote/.test(first.stdout()),
      () => first.stdout() + first.stderr(),
    );
    const promoted = expectOk(await remote(deployer, ['promote', id, '--reason', 'numbers look fine']));
    expect(promoted.stdout).toContain(`✔ promote of 6.0.1 in production requested (deployment ${id})`);
    expect(await first.done).toBe(0);
    expect(first.stdout()).toContain('✔ 6.0.1 is live in production');

    // A release with no warm target left, so it runs as a canary again.
    const second = spawnRemote(server.url, ['deploy', 'production', '--release', '6.0.2'], deployer);
    await waitFor(
      () => /start {3}wait for promote/.test(second.stdout()),
      () => second.stdout() + second.stderr(),
    );
    expectOk(await remote(deployer, ['abort', 'production', '--reason', 'looks wrong']));
    expect(await second.done).toBe(1);
    expect(second.stderr()).toMatch(/✖ deploy of 6\.0\.2 to production failed .*; 6\.0\.1 still serves/);
    const res = await fetch(`${project.url}/`, { headers: { 'x-slipway-canary': 'always' } });
    expect(res.headers.get('x-release')).toBe('6.0.1');
  });

  it("says in the live view why a canary's promotion gate waits, and goes on after promote", async () => {
    // No pause: the gate alone stands between 20% and all traffic, and no traffic gives no verdict.
    const canary = '      kind: canary\n      steps:\n        - setWeight: 20';
    await restartWith(project.config({ strategy: canary, env: { GREETING: 'Gate' } }) + TEAM);
    for (const v of ['6.1.0', '6.1.1'])
      expectOk(await remote(deployer, ['release', 'create', '--version', v]));
    await ensureServing('6.1.0');
    const deploy = spawnRemote(server.url, ['deploy', 'production', '--release', '6.1.1'], deployer);
    await waitFor(
      () => /wait {4}promotion gate on \S+: .*waiting for slipway promote/.test(deploy.stdout()),
      () => deploy.stdout() + deploy.stderr(),
    );
    expectOk(await remote(deployer, ['promote', 'production', '--reason', 'checked by hand']));
    expect(await deploy.done).toBe(0);
    expect(deploy.stdout()).toContain('✔ 6.1.1 is live in production');
  });
});

/** Polls (bounded) until the condition holds; the failure shows what the watched process printed. */
async function waitFor(condition: () => boolean, output: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting; output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
