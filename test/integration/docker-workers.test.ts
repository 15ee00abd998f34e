import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importNodeBaseImage, startDockerEngine, type DockerEngine } from '../helpers/docker.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// Worker processes as containers (issue 17, item 1, runtime: docker): each instance is a container of the release's
// image with no published port. The queue is a tiny HTTP server in this test (a claim is atomic: one event loop),
// reached from the containers at their bridge's gateway; a job takes ~50 ms and a worker finishes it on SIGTERM.

const BASE = 'slipway-test-node:base';
const JOBS = 300;

const WORKER_JS = `const me = process.env.SLIPWAY_RELEASE + '/' + process.env.SLIPWAY_PROCESS + '.' + process.env.SLIPWAY_INSTANCE;
const queue = process.env.QUEUE_URL;
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
console.log(me + ' started' + (process.env.PORT ? ' with a PORT' : ''));
(async () => {
  while (!stopping) {
    const claimed = await fetch(queue + '/claim?worker=' + me, { method: 'POST' }).then((r) => r.text()).catch(() => '');
    if (!claimed) { await sleep(50); continue; }
    await sleep(50);
    await fetch(queue + '/done?job=' + claimed + '&worker=' + me, { method: 'POST' });
  }
  console.log(me + ' stopped');
  process.exit(0);
})();
`;

describe('worker processes as containers', () => {
  let engine: DockerEngine;
  let project: TestProject;
  let server: Server;
  let queueUrl = '';
  let next = 1;
  const done: Array<{ job: number; worker: string }> = [];

  const config = (workerCommand: string): string => {
    const base = project.config({
      env: { HOST: '0.0.0.0', QUEUE_URL: queueUrl },
      strategy: '      kind: blue-green\n      keepWarm: 1m\n      drainTimeout: 1s',
    });
    const runtime = `runtime:\n  kind: docker\n  socket: ${engine.socket}\n`;
    return `${base.replace('healthCheck:', `${runtime}healthCheck:`)}processes:
  worker:
    command: ${workerCommand}
    instances: 2
    stopTimeout: 5s
    health: { settle: 1s }
`;
  };
  const workerContainers = async () =>
    (await engine.docker.listContainers({ filters: { label: ['dev.slipway.app=hello'] } })).filter((c) =>
      (c.Labels['dev.slipway.target'] ?? '').includes('-worker.'),
    );

  beforeAll(async () => {
    engine = await startDockerEngine();
    await importNodeBaseImage(engine.docker, BASE);
    const gateway = (await engine.docker.getNetwork('bridge').inspect()) as {
      IPAM: { Config: Array<{ Gateway?: string }> };
    };
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://queue');
      if (url.pathname === '/claim') {
        const job = next <= JOBS ? next++ : null; // one event loop: a claim is atomic
        res.end(job === null ? '' : String(job));
      } else if (url.pathname === '/done') {
        done.push({ job: Number(url.searchParams.get('job')), worker: url.searchParams.get('worker') ?? '' });
        res.end('ok');
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    queueUrl = `http://${gateway.IPAM.Config[0]?.Gateway ?? '?'}:${(server.address() as AddressInfo).port}`;
    project = await createTestProject();
    writeFileSync(join(project.dir, 'Dockerfile'), `FROM ${BASE}\nWORKDIR /app\nCOPY . /app/\n`);
    writeFileSync(join(project.dir, 'worker.cjs'), WORKER_JS);
    next = JOBS + 1; // nothing to claim until the first deploy is done
    project.writeConfig(config('node worker.cjs'));
    for (const version of ['1.0.0', '2.0.0'])
      expectOk(await project.cli(['release', 'create', '--version', version]));
    project.writeConfig(config(`'echo "cannot reach the queue" >&2; exit 3'`));
    expectOk(await project.cli(['release', 'create', '--version', '3.0.0']));
    project.writeConfig(config('node worker.cjs'));
  }, 240_000);
  afterAll(async () => {
    await project?.dispose();
    await engine?.stop();
    server?.close();
  }, 120_000);

  it('runs each instance as a container without a port, and drains the queue across a deploy and a rollback', async () => {
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    const first = await workerContainers();
    expect(first.map((c) => c.Labels['dev.slipway.release'])).toEqual(['1.0.0', '1.0.0']);
    expect(first.every((c) => c.Ports.length === 0)).toBe(true);
    next = 1; // the queue opens
    await waitFor('the first jobs done', () => Promise.resolve(done.length > 20 ? true : undefined));

    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    expect((await workerContainers()).map((c) => c.Labels['dev.slipway.release'])).toEqual([
      '2.0.0',
      '2.0.0',
    ]);
    expectOk(await project.cli(['rollback', 'production']));
    expect((await workerContainers()).map((c) => c.Labels['dev.slipway.release'])).toEqual([
      '1.0.0',
      '1.0.0',
    ]);

    await waitFor('every job claimed', () => Promise.resolve(next > JOBS ? true : undefined));
    // The last claims finish on a loaded machine in their own time (not a fixed second); a lost job never does.
    await waitFor(
      'every claimed job done',
      () => Promise.resolve(done.length >= JOBS ? true : undefined),
      20_000,
    );
    const perJob = new Map<number, number>();
    for (const row of done) perJob.set(row.job, (perJob.get(row.job) ?? 0) + 1);
    expect(done).toHaveLength(JOBS);
    expect(perJob.size).toBe(JOBS);
    expect(new Set(done.map((r) => r.worker.split('/')[0]))).toEqual(new Set(['1.0.0', '2.0.0']));

    const logs = expectOk(
      await project.cli(['logs', 'production', '--process', 'worker', '-n', '20']),
    ).stdout;
    expect(logs).toMatch(/worker 1 hello-1\.0\.0-\S+-worker\.1 │ 1\.0\.0\/worker\.1 started\n/);
    expect(logs).not.toContain('with a PORT');
  }, 240_000);

  it('fails a deploy whose worker container exits at start; the old containers keep running', async () => {
    const before = (await workerContainers()).map((c) => c.Id).sort();
    const failed = await project.cli(['deploy', 'production', '--release', '3.0.0']);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr + failed.stdout).toMatch(/worker worker 1 of 3\.0\.0 did not become healthy/);
    expect((await workerContainers()).map((c) => c.Id).sort()).toEqual(before);
  }, 120_000);
});
