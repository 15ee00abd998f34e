import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installImage } from '../../src/runtime/docker-images.js';
import { importNodeBaseImage, startDockerEngine, type DockerEngine } from '../helpers/docker.js';
import { startLoad } from '../helpers/load-loop.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { createTestProject, expectOk, type CliResult, type TestProject } from '../helpers/project.js';

// A registry with a login, for real: Debian's Distribution with htpasswd auth and TLS from a test CA. The release
// is built on one private engine (the build machine) and pushed there with X-Registry-Auth; the local host's agent
// runs its containers on a second engine, which pulls the release by digest with the password sent for that pull.
// A wrong password and an image missing from the registry are refused before anything changes.

const BASE = 'slipway-test-node:base';

/** The files under `dirs` that hold `text` (grep -r; exit 1 is "none"). */
function filesHolding(text: string, dirs: string[]): string[] {
  const run = spawnSync('grep', ['-rlaF', '--', text, ...dirs], { encoding: 'utf8' });
  if (run.status !== 0 && run.status !== 1) throw new Error(`grep failed: ${run.stderr}`);
  return run.stdout.split('\n').filter(Boolean);
}

interface ReleaseJson {
  version: string;
  image?: string;
  imageRef?: string;
}

describe('a registry with a login: push at release, pull by digest on the host', () => {
  let build: DockerEngine;
  let host: DockerEngine;
  let registry: TestRegistry;
  let project: TestProject;
  const secretEnv = (password: string): Record<string, string> => ({ SLIPWAY_SECRET_REG_PW: password });
  const cli = (args: string[], password?: string): Promise<CliResult> =>
    project.cli(args, password === undefined ? {} : secretEnv(password));
  const noPasswordIn = (result: CliResult): void => {
    expect(result.stdout).not.toContain(registry.password);
    expect(result.stderr).not.toContain(registry.password);
  };

  const writeConfig = (o: { retain?: number; keepWarm?: string } = {}): void => {
    const runtime = [
      'runtime:',
      '  kind: docker',
      `  socket: ${host.socket}`,
      `  buildSocket: ${build.socket}`,
      '  registry:',
      `    server: ${registry.server}`,
      '    repository: team/hello',
      `    username: ${registry.username}`,
      '    passwordSecret: REG_PW',
      '    ca: registry-ca.pem',
      '',
    ].join('\n');
    const base = project.config({
      env: { HOST: '0.0.0.0' },
      strategy: `      kind: blue-green\n      keepWarm: ${o.keepWarm ?? '1s'}\n      drainTimeout: 5s`,
    });
    project.writeConfig(
      base
        .replace('healthCheck:', `${runtime}healthCheck:`)
        .replace('environments:', `${o.retain ? `retainReleases: ${o.retain}\n` : ''}environments:`),
    );
  };
  const releases = async (): Promise<ReleaseJson[]> =>
    JSON.parse(expectOk(await cli(['releases', '--json'])).stdout) as ReleaseJson[];
  const hostImages = async (): Promise<string[]> =>
    (await host.docker.listImages({ filters: { label: ['dev.slipway.app=hello'] } })).flatMap(
      (i) => i.RepoDigests ?? [],
    );

  beforeAll(async () => {
    registry = await startRegistry();
    registry.trustOnThisMachine();
    build = await startDockerEngine();
    host = await startDockerEngine();
    await importNodeBaseImage(build.docker, BASE);
    project = await createTestProject();
    writeFileSync(join(project.dir, 'Dockerfile'), `FROM ${BASE}\nWORKDIR /app\nCOPY . /app/\n`);
    writeFileSync(join(project.dir, 'registry-ca.pem'), registry.caPem);
    writeConfig();
  }, 240_000);
  afterAll(async () => {
    await project?.dispose();
    await host?.stop();
    await build?.stop();
    await registry?.stop();
  }, 120_000);

  it('refuses to push without the password, and with a wrong one names the registry and the user', async () => {
    const missing = await cli(['release', 'create', '--version', '1.0.0']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('the registry password (secret REG_PW) has no value');

    const wrong = await cli(['release', 'create', '--version', '1.0.0'], 'not-the-password');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain(`registry ${registry.server} refused user ${registry.username}`);
    expect(wrong.stderr).not.toContain('not-the-password');
    expect(await releases()).toEqual([]);
  });

  it('pushes the release with the login and pins it by the digest the registry has', async () => {
    const created = expectOk(await cli(['release', 'create', '--version', '1.0.0'], registry.password));
    noPasswordIn(created);
    const [release] = await releases();
    expect(release?.imageRef).toMatch(
      new RegExp(`^${registry.server.replace(/\./g, '\\.')}/team/hello@sha256:[0-9a-f]{64}$`),
    );
    const digest = release?.imageRef?.split('@')[1] ?? '';
    expect(await registry.manifestStatus('team/hello', digest)).toBe(200);
    expect(await registry.manifestStatus('team/hello', '1.0.0')).toBe(200);
    const text = expectOk(await cli(['releases'])).stdout;
    expect(text).toContain(release?.imageRef);
    // The build engine was given the login for the push only: nothing was written to a docker config.
    const dockerConfig = join(homedir(), '.docker', 'config.json');
    if (existsSync(dockerConfig)) expect(readFileSync(dockerConfig, 'utf8')).not.toContain(registry.server);
  });

  it('deploys: the host pulls the release by digest with the password, which is written nowhere', async () => {
    expect(await hostImages()).toEqual([]);
    const deploy = expectOk(await cli(['deploy', 'production', '--release', '1.0.0'], registry.password));
    noPasswordIn(deploy);
    const [release] = await releases();
    expect(deploy.stdout).toContain(`pulled ${release?.imageRef}`);
    expect(await hostImages()).toEqual([release?.imageRef]);
    const image = await host.docker.getImage(release?.imageRef ?? '').inspect();
    expect(image.Id).toBe(release?.image);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
    // Not in the agent's home, the project's state, nor a docker config of the user the agent runs as.
    const dirs = [join(project.dir, '.slipway'), join(homedir(), '.docker')].filter((d) => existsSync(d));
    expect(existsSync(join(project.dir, '.slipway', 'agent'))).toBe(true);
    expect(filesHolding(registry.password, dirs)).toEqual([]);
    // The search does find what is there: the user's name is in the release's snapshot in the store.
    expect(filesHolding(registry.username, dirs).length).toBeGreaterThan(0);
  });

  it('refuses a deploy with a wrong password before anything changes, naming the registry and the user', async () => {
    expectOk(await cli(['release', 'create', '--version', '2.0.0'], registry.password));
    const wrong = await cli(['deploy', 'production', '--release', '2.0.0'], 'wrong-password-123');
    expect(wrong.code).not.toBe(0);
    const out = wrong.stdout + wrong.stderr;
    expect(out).toContain(`registry ${registry.server} refused user ${registry.username}`);
    expect(out).not.toContain('wrong-password-123');
    expect(out).not.toContain(registry.password);
    const history = expectOk(await cli(['history', 'production'])).stdout;
    expect(history).not.toContain('2.0.0');
    expect((await hostImages()).length).toBe(1);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');

    // Past the check (a password changed meanwhile), the host's own pull says the same, without the password.
    const release = (await releases()).find((r) => r.version === '2.0.0');
    const pull = installImage(
      { id: release?.image ?? '', ref: release?.imageRef ?? '', socket: host.socket, pull: true },
      null,
      { server: registry.server, username: registry.username, password: 'wrong-password-456' },
    );
    await expect(pull).rejects.toThrow(`registry ${registry.server} refused user ${registry.username}`);
    const message = await pull.catch((err: Error) => err.message);
    expect(message).not.toContain('wrong-password-456');
  });

  it('refuses a release whose image is gone from the registry before any host changes', async () => {
    expectOk(await cli(['release', 'create', '--version', '3.0.0'], registry.password));
    const ref = (await releases()).find((r) => r.version === '3.0.0')?.imageRef ?? '';
    expect(await registry.deleteManifest('team/hello', ref.split('@')[1] ?? '')).toBe(202);
    const refused = await cli(['deploy', 'production', '--release', '3.0.0'], registry.password);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `image ${ref} is not in registry ${registry.server}; nothing was changed`,
    );
    expect(expectOk(await cli(['history', 'production'])).stdout).not.toContain('3.0.0');
    expect((await hostImages()).length).toBe(1);
  });

  it('deploys under load with no failed request, then prunes pulled images beyond retainReleases', async () => {
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    const deploy = expectOk(await cli(['deploy', 'production', '--release', '2.0.0'], registry.password));
    await new Promise((r) => setTimeout(r, 300));
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
    expect(deploy.stdout).toContain('pulled ');

    // keepWarm 1s: 1.0.0's container goes; with retainReleases 1 its pulled image is pruned at the next deploy,
    // which keeps 2.0.0 warm (in use) for 5 minutes.
    writeConfig({ retain: 1, keepWarm: '5m' });
    expectOk(await cli(['release', 'create', '--version', '4.0.0'], registry.password));
    const byVersion = new Map((await releases()).map((r) => [r.version, r.imageRef ?? '']));
    const deadline = Date.now() + 30_000;
    while (
      (await host.docker.listContainers({ all: true, filters: { label: ['dev.slipway.release=1.0.0'] } }))
        .length > 0 &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 200));
    const next = expectOk(await cli(['deploy', 'production', '--release', '4.0.0'], registry.password));
    expect(next.stdout).toContain(`removed ${byVersion.get('1.0.0')}`);
    // 4.0.0 is the newest; 2.0.0 still runs warm (in use), so it stays.
    expect((await hostImages()).sort()).toEqual([byVersion.get('2.0.0'), byVersion.get('4.0.0')].sort());
  });
});
