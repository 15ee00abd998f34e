import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, freePort, runCli, type TestProject } from '../helpers/project.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The CLI's --server mode against a real `slipway server` (child process, real HTTP on loopback): the same verbs
// and output as locally, the token from SLIPWAY_TOKEN, the server's refusals printed as error/hint.

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
      1,
      expect.stringContaining('the token is never an argument') as string,
    ]);
    expect(token.stdout).toBe('');
    const setup = await remote(viewer, ['setup', 'production', '--trust-new-hosts']);
    expect(setup.code).toBe(1);
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
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const refused = await runCli(['--server', nowhere, 'releases'], { SLIPWAY_TOKEN: viewer });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `error: cannot reach the Slipway server at ${nowhere}: connection refused`,
    );
  });
});
