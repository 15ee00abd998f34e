import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importNodeBaseImage, startDockerEngine, type DockerEngine } from '../helpers/docker.js';
import { startLoad } from '../helpers/load-loop.js';
import { createTestProject, expectOk, type ConfigOverrides, type TestProject } from '../helpers/project.js';

// Containers through the real CLI and agent on the local host, with a private Docker Engine: releases are built
// into images (FROM a base made here with `docker import`; nothing is pulled), deployed blue/green and as a
// canary under load, and rolled back to an image the host kept.

const BASE = 'slipway-test-node:base';

interface StatusJson {
  hosts: Array<{
    route: { active: string };
    targets: Array<{ id: string; release: string; containerId?: string; state: string }>;
  }>;
}

describe('container deploys on the local host', () => {
  let engine: DockerEngine;
  let project: TestProject;

  type Overrides = ConfigOverrides & { retain?: number };
  const writeConfig = (o: Overrides = {}): void => {
    const base = project.config({ ...o, env: { HOST: '0.0.0.0', ...o.env } });
    const runtime = `runtime:\n  kind: docker\n  socket: ${engine.socket}\n  memory: 256m\n  cpus: 1\n`;
    const retain = o.retain ? `retainReleases: ${o.retain}\n` : '';
    project.writeConfig(
      base
        .replace('healthCheck:', `${runtime}healthCheck:`)
        .replace('environments:', `${retain}environments:`),
    );
  };
  const release = async (version: string, o: Overrides = {}): Promise<void> => {
    writeConfig(o);
    expectOk(await project.cli(['release', 'create', '--version', version]));
  };
  const status = async (): Promise<StatusJson> =>
    (
      JSON.parse(expectOk(await project.cli(['status', 'production', '--json'])).stdout) as StatusJson[]
    )[0] as StatusJson;

  beforeAll(async () => {
    engine = await startDockerEngine();
    await importNodeBaseImage(engine.docker, BASE);
    project = await createTestProject();
    writeFileSync(join(project.dir, 'Dockerfile'), `FROM ${BASE}\nWORKDIR /app\nCOPY . /app/\n`);
  }, 180_000);
  afterAll(async () => {
    await project?.dispose();
    await engine?.stop();
  }, 120_000);

  it('creates a release as an image and records its id', async () => {
    await release('1.0.0');
    const releases = JSON.parse(expectOk(await project.cli(['releases', '--json'])).stdout) as Array<{
      version: string;
      image?: string;
    }>;
    const image = releases.find((r) => r.version === '1.0.0')?.image;
    expect(image).toMatch(/^sha256:[0-9a-f]{64}$/);
    const inspected = await engine.docker.getImage(image ?? '').inspect();
    expect(inspected.RepoTags).toContain('slipway/hello:1.0.0');
    expect(inspected.Config.Labels).toMatchObject({ 'dev.slipway.app': 'hello' });
  });

  it('deploys containers blue/green under load with no failed request, labelled and limited', async () => {
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
    await release('2.0.0', {
      strategy: '      kind: blue-green\n      keepWarm: 1s\n      drainTimeout: 5s',
    });

    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    await new Promise((r) => setTimeout(r, 300));
    const report = await load.stop();

    expect(deploy.stdout).toContain('2.0.0 is live in production');
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.byRelease['1.0.0']).toBeGreaterThan(0);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);

    const now = await status();
    const active = now.hosts[0]?.targets.find((t) => t.id === now.hosts[0]?.route.active);
    expect(active?.release).toBe('2.0.0');
    const container = await engine.docker.getContainer(active?.containerId ?? '').inspect();
    expect(container.Config.Labels).toMatchObject({
      'dev.slipway.app': 'hello',
      'dev.slipway.release': '2.0.0',
      'dev.slipway.environment': 'production',
      'dev.slipway.target': active?.id,
    });
    expect(container.HostConfig.Memory).toBe(256 * 1024 * 1024);
    expect(container.HostConfig.NanoCpus).toBe(1e9);
    const bindings = container.HostConfig.PortBindings as Record<string, Array<{ HostIp: string }>>;
    expect(
      Object.values(bindings)
        .flat()
        .map((b) => b.HostIp),
    ).toEqual(['127.0.0.1']);

    const text = expectOk(await project.cli(['status', 'production'])).stdout;
    expect(text).toContain(`container ${active?.containerId?.slice(0, 12)}`);

    const logs = expectOk(await project.cli(['logs', 'production', '--lines', '20']));
    expect(logs.stdout).toContain('hello 2.0.0 listening on 0.0.0.0:');
  });

  it('rolls back to the retained image (the old container is gone) under load with no failed request', async () => {
    // keepWarm 1s: the 1.0.0 container is retired, so the rollback starts a new one from the image the host kept.
    const deadline = Date.now() + 30_000;
    while ((await status()).hosts[0]?.targets.some((t) => t.release === '1.0.0') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect((await status()).hosts[0]?.targets.map((t) => t.release)).toEqual(['2.0.0']);
    expect(
      await engine.docker.listContainers({ all: true, filters: { label: ['dev.slipway.release=1.0.0'] } }),
    ).toEqual([]);

    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    const rollback = expectOk(await project.cli(['rollback', 'production']));
    await new Promise((r) => setTimeout(r, 300));
    const report = await load.stop();

    expect(rollback.stdout).toContain('image already on host');
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.byRelease['1.0.0']).toBeGreaterThan(0);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
  });

  it('aborts a canary container that answers 5xx, and stable users keep being served', async () => {
    const canary = `      kind: canary
      steps:
        - setWeight: 20
        - analysis: { timeout: 60s }
        - setWeight: 100
      analysis:
        interval: 300ms
        minRequests: 40`;
    await release('3.0.0-bad', { env: { ERROR_RATE: '0.3' }, strategy: canary });
    const load = startLoad(project.url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    const deploy = await project.cli(['deploy', 'production', '--release', '3.0.0-bad']);
    const report = await load.stop();

    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/canary analysis failed/);
    expect(report.byRelease['1.0.0']).toBeGreaterThan(0);
    expect(report.failures.every((f) => f === 'status 500')).toBe(true);
    expect(report.failed).toBeLessThanOrEqual(report.byRelease['3.0.0-bad'] ?? 0);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 1.0.0');
    // The canary's container was stopped and removed.
    expect(
      await engine.docker.listContainers({
        all: true,
        filters: { label: ['dev.slipway.release=3.0.0-bad'] },
      }),
    ).toEqual([]);
  });

  it('prunes the app images beyond retainReleases after a deploy, keeping those that targets still use', async () => {
    await release('4.0.0', { retain: 2 });
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '4.0.0']));
    expect(deploy.stdout).toContain('4.0.0 is live in production');
    const tags = (await engine.docker.listImages({ filters: { label: ['dev.slipway.app=hello'] } })).flatMap(
      (i) => i.RepoTags ?? [],
    );
    // Newest two (4.0.0, 3.0.0-bad) kept; 1.0.0 still runs warm; 2.0.0 is neither.
    expect(tags.sort()).toEqual(['slipway/hello:1.0.0', 'slipway/hello:3.0.0-bad', 'slipway/hello:4.0.0']);
    expect(deploy.stdout).toContain('removed slipway/hello:2.0.0');
  });

  it('adopts the running containers after the agent restarts, by their labels', async () => {
    const before = await status();
    const active = before.hosts[0]?.targets.find((t) => t.id === before.hosts[0]?.route.active);
    expect(active?.containerId).toBeTruthy();
    expectOk(await project.cli(['agent', 'stop']));
    // The container kept running without its agent.
    const inspected = await engine.docker.getContainer(active?.containerId ?? '').inspect();
    expect(inspected.State.Running).toBe(true);
    expectOk(await project.cli(['agent', 'start'])); // a new agent, which adopts what runs
    const after = await status();
    const adopted = after.hosts[0]?.targets.find((t) => t.id === active?.id);
    expect(adopted).toMatchObject({ containerId: active?.containerId, state: 'running' });
    expect(await (await fetch(`${project.url}/`)).text()).toContain('hello 4.0.0');
  });
});
