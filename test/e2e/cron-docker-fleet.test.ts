import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HOST_DOCKER_SOCKET,
  importNodeBaseImage,
  startDockerEngine,
  startHostDockerEngine,
  type DockerEngine,
} from '../helpers/docker.js';
import { waitFor } from '../helpers/wait-for.js';
import { REPO_ROOT, expectOk, freePort, runCli, type CliResult } from '../helpers/project.js';
import { claimFreeSlot, type SlotLock } from '../testbed/slot-lock.js';
import { createTestbed, type Testbed } from '../testbed/testbed.js';

// Scheduled jobs of a `runtime: docker` app on real SSH hosts (issue 17, item 3), each host with its own dockerd
// (as in docker-fleet.test.ts): a job every 2 s runs as a container of the live image on the first host only,
// once per tick, across a deploy. Its output is read back with `slipway logs --job`.

const APP_PORT = 8420;
const BASE = 'slipway-test-node:base';

describe('scheduled jobs in containers on a testbed of 2 SSH hosts', () => {
  let testbed: Testbed;
  let engine: DockerEngine;
  let subnet: SlotLock;
  const stopHostEngines: Array<() => Promise<void>> = [];
  let dir: string;
  let edgePort: number;
  const cli = (args: string[]): Promise<CliResult> => runCli(['-c', join(dir, 'slipway.yml'), ...args]);

  const writeConfig = (o: { strategy?: string; env?: Record<string, string> } = {}): void => {
    const hosts = testbed.hosts
      .map(
        (h) =>
          `      - name: ${h.name}\n        address: ${h.address}\n        user: root\n        identityFile: ${testbed.clientKeyPath}`,
      )
      .join('\n');
    const env = Object.entries({ GREETING: 'Hello', HOST: '0.0.0.0', ...o.env })
      .map(([k, v]) => `  ${k}: "${v}"`)
      .join('\n');
    writeFileSync(
      join(dir, 'slipway.yml'),
      `app: hello
build:
  command: node build.js
run:
  command: node server.js
  stopTimeout: 5s
runtime:
  kind: docker
  socket: ${HOST_DOCKER_SOCKET}
  buildSocket: ${engine.socket}
  memory: 256m
healthCheck:
  path: /healthz
  interval: 200ms
  timeout: 1s
  healthyThreshold: 2
  startTimeout: 20s
env:
${env}
environments:
  production:
    hosts:
${hosts}
    publicPort: ${APP_PORT}
    ssh:
      knownHosts: ${testbed.knownHostsPath}
      connectTimeout: 3s
    edge:
      host: local
      publicPort: ${edgePort}
      bindAddress: 127.0.0.1
    strategy:
${o.strategy ?? '      kind: blue-green\n      keepWarm: 5m\n      drainTimeout: 5s'}
cron:
  - name: count
    schedule: "*/2 * * * * *"
    overlap: queue
    command: echo "run $SLIPWAY_JOB_TICK $SLIPWAY_RELEASE"
`,
    );
  };

  beforeAll(async () => {
    engine = await startDockerEngine();
    await importNodeBaseImage(engine.docker, BASE);
    testbed = await createTestbed({ hosts: 2, name: 'cron-dk' });
    subnet = await claimFreeSlot(120 + Math.floor(Math.random() * 50));
    for (const host of testbed.hosts) stopHostEngines.push(await startHostDockerEngine(host, subnet.slot));
    dir = mkdtempSync(join(tmpdir(), 'sw-cdk-'));
    cpSync(join(REPO_ROOT, 'examples', 'hello'), dir, {
      recursive: true,
      filter: (src) => !src.includes('.slipway'),
    });
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${BASE}\nWORKDIR /app\nCOPY . /app/\n`);
    edgePort = await freePort();
    writeConfig();
  }, 240_000);

  afterAll(async () => {
    if (dir) {
      await cli(['agent', 'stop', '--stop-targets']);
      rmSync(dir, { recursive: true, force: true });
    }
    for (const stop of stopHostEngines) await stop().catch(() => undefined);
    await testbed?.destroy();
    await subnet?.release();
    await engine?.stop();
  }, 180_000);

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
    const ps = await testbed.hosts[0]?.exec([
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
