import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_DOCKER_SOCKET } from '../helpers/docker.js';
import { startLoad } from '../helpers/load-loop.js';
import { expectOk, type CliResult } from '../helpers/project.js';
import type { Testbed } from '../testbed/testbed.js';
import { startDockerFleet, type DockerFleet } from './docker-fleet-kit.js';

// Containers on real SSH hosts: each testbed host (a network namespace with its own sshd) runs its own dockerd,
// started by this test inside the host. The control plane builds the image with a local engine, saves it once,
// uploads it over SFTP to each host and the host's agent loads it; the Docker port is never opened.

interface StatusJson {
  hosts: Array<{
    host: string;
    route: { active: string } | null;
    targets: Array<{ id: string; release: string }>;
  }>;
}

describe('containers on a testbed of 2 SSH hosts, each with its own Docker Engine', () => {
  let fleet: DockerFleet;
  let testbed: Testbed;
  let edgePort: number;
  const cli = (args: string[]): Promise<CliResult> => fleet.cli(args);
  const writeConfig = (o: { strategy?: string; env?: Record<string, string> } = {}): void =>
    fleet.writeConfig(o);

  beforeAll(async () => {
    fleet = await startDockerFleet({ hosts: 2, name: 'docker' });
    ({ testbed, edgePort } = fleet);
  }, 240_000);

  afterAll(async () => fleet?.dispose(), 180_000);

  it('loads the release image on every host over SSH, once, and serves it through the edge', async () => {
    expectOk(await cli(['setup', 'production']));
    expectOk(await cli(['release', 'create', '--version', '1.0.0']));
    const deploy = expectOk(await cli(['deploy', 'production', '--release', '1.0.0']));
    expect(deploy.stdout.match(/image uploaded and loaded/g)?.length).toBe(testbed.hosts.length);
    // The edge takes a host into rotation after its health checks pass (they failed while nothing served).
    const deadline = Date.now() + 20_000;
    let body = '';
    while (!body.includes('hello 1.0.0') && Date.now() < deadline) {
      body = await (await fetch(`http://127.0.0.1:${edgePort}/`)).text();
      if (!body.includes('hello 1.0.0')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(body).toContain('hello 1.0.0');
    for (const h of testbed.hosts) {
      const ps = await h.exec([
        'docker',
        '-H',
        `unix://${HOST_DOCKER_SOCKET}`,
        'ps',
        '--format',
        '{{.Labels}}',
      ]);
      expect(ps.stdout).toContain('dev.slipway.release=1.0.0');
    }
  });

  it('deploys containers blue/green across the hosts under load with no failed request', async () => {
    expectOk(await cli(['release', 'create', '--version', '2.0.0']));
    const url = `http://127.0.0.1:${edgePort}`;
    const load = startLoad(url, { concurrency: 4, maxMs: 120_000 });
    await load.warm();
    const deploy = expectOk(await cli(['deploy', 'production', '--release', '2.0.0']));
    await new Promise((r) => setTimeout(r, 300));
    const report = await load.stop();
    expect(deploy.stdout).toContain('2.0.0 is live in production');
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.byRelease['1.0.0']).toBeGreaterThan(0);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
    const status = JSON.parse(expectOk(await cli(['status', 'production', '--json'])).stdout) as StatusJson[];
    for (const h of status[0]?.hosts ?? []) {
      expect(h.targets.find((t) => t.id === h.route?.active)?.release).toBe('2.0.0');
    }
  });

  it('aborts a canary container that answers 5xx on the hosts; stable users keep being served', async () => {
    writeConfig({
      env: { ERROR_RATE: '0.3' },
      strategy: `      kind: canary
      steps:
        - setWeight: 20
        - analysis: { timeout: 60s }
        - setWeight: 100
      analysis:
        interval: 300ms
        minRequests: 40`,
    });
    expectOk(await cli(['release', 'create', '--version', '3.0.0-bad']));
    const url = `http://127.0.0.1:${edgePort}`;
    const load = startLoad(url, { concurrency: 4, maxMs: 120_000 });
    await load.warm();
    const deploy = await cli(['deploy', 'production', '--release', '3.0.0-bad']);
    const report = await load.stop();
    writeConfig();
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/canary analysis failed/);
    expect(report.byRelease['2.0.0']).toBeGreaterThan(0);
    expect(report.failures.every((f) => f === 'status 500')).toBe(true);
    expect(report.failed).toBeLessThanOrEqual(report.byRelease['3.0.0-bad'] ?? 0);
    expect(await (await fetch(`${url}/`)).text()).toContain('hello 2.0.0');
  });

  it('rolls back across the hosts under load with no failed request', async () => {
    const url = `http://127.0.0.1:${edgePort}`;
    const load = startLoad(url, { concurrency: 4, maxMs: 60_000 });
    await load.warm();
    expectOk(await cli(['rollback', 'production', '--to', '1.0.0']));
    await new Promise((r) => setTimeout(r, 300));
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.byRelease['1.0.0']).toBeGreaterThan(0);
    expect(await (await fetch(`${url}/`)).text()).toContain('hello 1.0.0');
  });
});
