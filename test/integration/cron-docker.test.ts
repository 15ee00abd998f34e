import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importNodeBaseImage, startDockerEngine, type DockerEngine } from '../helpers/docker.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// Scheduled jobs of a `runtime: docker` app (issue 17, item 3): each run is a container of the live release's
// image, its output in `slipway logs --job`. A private Docker Engine; nothing is pulled.

const BASE = 'slipway-test-node:base';

describe('scheduled jobs in containers', () => {
  let engine: DockerEngine;
  let project: TestProject;

  beforeAll(async () => {
    engine = await startDockerEngine();
    await importNodeBaseImage(engine.docker, BASE);
    project = await createTestProject();
    writeFileSync(join(project.dir, 'Dockerfile'), `FROM ${BASE}\nWORKDIR /app\nCOPY . /app/\n`);
    const base = project.config({
      env: { HOST: '0.0.0.0' },
      strategy: '      kind: blue-green\n      keepWarm: 30s\n      drainTimeout: 1s',
    });
    const runtime = `runtime:\n  kind: docker\n  socket: ${engine.socket}\n  volumes:\n    data: /data\n`;
    project.writeConfig(
      base.replace('healthCheck:', `${runtime}healthCheck:`) +
        `cron:
  - name: count
    schedule: "*/2 * * * * *"
    overlap: queue
    command: echo "run $SLIPWAY_JOB_TICK $SLIPWAY_RELEASE $(pwd) $(cat /data/runs 2>/dev/null | wc -l)"; echo x >> /data/runs
`,
    );
    for (const version of ['1.0.0', '2.0.0'])
      expectOk(await project.cli(['release', 'create', '--version', version]));
  }, 240_000);
  afterAll(async () => {
    await project?.dispose();
    await engine?.stop();
  }, 120_000);

  const runs = async (): Promise<Array<{ tick: number; release: string; dir: string; before: number }>> => {
    const logs = await project.cli(['logs', 'production', '--job', 'count', '-n', '1000']);
    return logs.stdout
      .split('\n')
      .filter((l) => l.startsWith('run '))
      .map((l) => {
        const [, tick = '', release = '', dir = '', before = '0'] = l.split(' ');
        return { tick: Date.parse(tick), release, dir, before: Number(before) };
      });
  };

  it('runs each tick once in a container of the live image, across a deploy', async () => {
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    await waitFor('two runs in 1.0.0', async () =>
      (await runs()).filter((r) => r.release === '1.0.0').length >= 2 ? true : undefined,
    );
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    await waitFor('two runs in 2.0.0', async () =>
      (await runs()).filter((r) => r.release === '2.0.0').length >= 2 ? true : undefined,
    );
    const seen = await runs();
    // The image's WORKDIR, not a release directory on the host: the run is a container.
    expect(new Set(seen.map((r) => r.dir))).toEqual(new Set(['/app']));
    const ticks = seen.map((r) => r.tick).sort((a, b) => a - b);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks.slice(1).filter((t, i) => t - (ticks[i] as number) !== 2000)).toEqual([]);
    const byTick = [...seen].sort((a, b) => a.tick - b.tick).map((r) => r.release);
    expect(byTick).toEqual([...byTick].sort());
    expect(new Set(byTick)).toEqual(new Set(['1.0.0', '2.0.0']));
    // The environment's named volume is mounted into each run: each one sees what the runs before it wrote.
    expect([...seen].sort((a, b) => a.tick - b.tick).map((r) => r.before)).toEqual(seen.map((_, i) => i));
    // Each run's container is removed once its output is kept.
    const left = await engine.docker.listContainers({ all: true, filters: { label: ['dev.slipway.job'] } });
    expect(left.length).toBeLessThanOrEqual(1);
  }, 240_000);
});
