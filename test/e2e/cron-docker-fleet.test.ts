import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_DOCKER_SOCKET } from '../helpers/docker.js';
import { waitFor } from '../helpers/wait-for.js';
import { expectOk, type CliResult } from '../helpers/project.js';
import { startDockerFleet, type DockerFleet } from './docker-fleet-kit.js';

// Scheduled jobs of a `runtime: docker` app on real SSH hosts (issue 17, item 3), each host with its own dockerd
// (as in docker-fleet.test.ts): a job every 2 s runs as a container of the live image on the first host only,
// once per tick, across a deploy. Its output is read back with `slipway logs --job`.

const CRON = `cron:
  - name: count
    schedule: "*/2 * * * * *"
    overlap: queue
    command: echo "run $SLIPWAY_JOB_TICK $SLIPWAY_RELEASE"
`;

describe('scheduled jobs in containers on a testbed of 2 SSH hosts', () => {
  let fleet: DockerFleet;
  const cli = (args: string[]): Promise<CliResult> => fleet.cli(args);

  beforeAll(async () => {
    fleet = await startDockerFleet({ hosts: 2, name: 'cron-dk' });
    fleet.writeConfig({ extra: CRON });
  }, 240_000);

  afterAll(async () => fleet?.dispose(), 180_000);

  const runs = async (): Promise<Array<{ tick: number; release: string }>> => {
    const logs = await cli(['logs', 'production', '--job', 'count', '-n', '1000']);
    return logs.stdout
      .split('\n')
      .filter((l) => l.startsWith('run '))
      .map((l) => {
        const [, tick = '', release = ''] = l.split(' ');
        return { tick: Date.parse(tick), release };
      });
  };
  const waitForRuns = (release: string): Promise<true> =>
    waitFor(
      `two runs in ${release}`,
      async () => ((await runs()).filter((r) => r.release === release).length >= 2 ? true : undefined),
      90_000,
    );

  it('runs each tick once, on the first host, in a container of the live image, across a deploy', async () => {
    expectOk(await cli(['setup', 'production']));
    for (const version of ['1.0.0', '2.0.0'])
      expectOk(await cli(['release', 'create', '--version', version]));
    expectOk(await cli(['deploy', 'production', '--release', '1.0.0']));
    await waitForRuns('1.0.0');
    expectOk(await cli(['deploy', 'production', '--release', '2.0.0']));
    await waitForRuns('2.0.0');

    const seen = await runs();
    const ticks = seen.map((r) => r.tick).sort((a, b) => a - b);
    expect(new Set(ticks).size, 'a tick ran twice').toBe(ticks.length);
    expect(
      ticks.slice(1).filter((t, i) => t - (ticks[i] as number) !== 2000),
      'ticks skipped',
    ).toEqual([]);
    const byTick = [...seen].sort((a, b) => a.tick - b.tick).map((r) => r.release);
    expect(byTick).toEqual([...byTick].sort());
    expect(new Set(byTick)).toEqual(new Set(['1.0.0', '2.0.0']));

    const history = expectOk(await cli(['history', 'production', '--json', '--limit', '300'])).stdout;
    const events = JSON.parse(history) as Array<{ kind: string; data: { host?: string } }>;
    const ran = events.filter((e) => e.kind === 'cron.ran');
    expect(ran.length).toBeGreaterThan(0);
    expect(new Set(ran.map((e) => e.data.host))).toEqual(new Set(['h1']));
    // Each run's container is gone once its output is kept (at most one runs now).
    const ps = await fleet.testbed.hosts[0]?.exec([
      'docker',
      '-H',
      `unix://${HOST_DOCKER_SOCKET}`,
      'ps',
      '-a',
      '--filter',
      'label=dev.slipway.job',
      '-q',
    ]);
    expect((ps?.stdout ?? '').trim().split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
  }, 600_000);
});
