import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importNodeBaseImage, startDockerEngine, type DockerEngine } from '../helpers/docker.js';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { runCliWithInput } from '../helpers/terminal.js';

// Containers with data that outlives releases (runtime.volumes) and `slipway run` in a container of the serving
// release (issue 17, items 4 and 5), through the real CLI and agent with a private Docker Engine.

const BASE = 'slipway-test-node:base';
const TOKEN = 'tok-4f1c9a27e0';

describe('container volumes and slipway run in a container', () => {
  let engine: DockerEngine;
  let project: TestProject;

  const release = async (version: string): Promise<void> => {
    const base = project.config({ env: { HOST: '0.0.0.0' }, secrets: ['TOKEN'] });
    const runtime = `runtime:\n  kind: docker\n  socket: ${engine.socket}\n  memory: 256m\n  volumes:\n    storage: /app/storage\n`;
    project.writeConfig(base.replace('healthCheck:', `${runtime}healthCheck:`));
    expectOk(await project.cli(['release', 'create', '--version', version]));
  };
  const runContainers = async (): Promise<string[]> =>
    (await engine.docker.listContainers({ all: true, filters: { label: ['dev.slipway.run=true'] } })).map(
      (c) => c.Id,
    );

  beforeAll(async () => {
    engine = await startDockerEngine();
    await importNodeBaseImage(engine.docker, BASE);
    project = await createTestProject();
    writeFileSync(join(project.dir, 'Dockerfile'), `FROM ${BASE}\nWORKDIR /app\nCOPY . /app/\n`);
    mkdirSync(join(project.dir, '.slipway', 'secrets'), { recursive: true });
    writeFileSync(join(project.dir, '.slipway', 'secrets', 'production.env'), `TOKEN=${TOKEN}\n`);
    await release('1.0.0');
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  }, 240_000);
  afterAll(async () => {
    await project?.dispose();
    await engine?.stop();
  }, 120_000);

  it('runs a command in a new container of the serving image, with its env and secrets, and removes it', async () => {
    const run = await project.cli([
      'run',
      'production',
      '--',
      'sh',
      '-c',
      'echo "release=$SLIPWAY_RELEASE token=$TOKEN dir=$PWD"; ls server.js; echo "to err $TOKEN" >&2; exit 3',
    ]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain('release=1.0.0 token=[redacted] dir=/app');
    expect(run.stdout).toContain('server.js');
    expect(run.stderr).toContain('to err [redacted]');
    expect(run.stderr).toContain('ran on local in 1.0.0: exit 3');
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
    expect(await runContainers()).toEqual([]);
  });

  it('keeps what a release wrote in a named volume for the next release, labelled with its app', async () => {
    expectOk(
      await project.cli([
        'run',
        'production',
        '--',
        'sh',
        '-c',
        'echo "from $SLIPWAY_RELEASE" > /app/storage/note',
      ]),
    );
    await release('2.0.0');
    expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0']));
    const read = expectOk(await project.cli(['run', 'production', '--', 'cat', '/app/storage/note']));
    expect(read.stdout.trim()).toBe('from 1.0.0');
    expect(read.stderr).toContain('in 2.0.0');

    const volume = await engine.docker.getVolume('slipway_hello_production_storage').inspect();
    expect(volume.Labels).toMatchObject({
      'dev.slipway.app': 'hello',
      'dev.slipway.environment': 'production',
    });
    // The serving target's container mounts it too.
    const [target] = await engine.docker.listContainers({
      filters: { label: ['dev.slipway.release=2.0.0'] },
    });
    const mounts = (await engine.docker.getContainer(target?.Id ?? '').inspect()).Mounts;
    expect(mounts.map((m) => [m.Name, m.Destination])).toContainEqual([
      'slipway_hello_production_storage',
      '/app/storage',
    ]);
  });

  it('-i and -t run the command in a container of the serving image with the terminal attached', async () => {
    const config = join(project.dir, 'slipway.yml');
    const piped = await runCliWithInput(
      [
        '-c',
        config,
        'run',
        'production',
        '-i',
        '--',
        'sh',
        '-c',
        'cat /app/storage/note; read x; echo "got=$x"',
      ],
      'piped\n',
      { terminal: false },
    );
    expect(piped.code, piped.output).toBe(0);
    expect(piped.output).toContain('from 1.0.0');
    expect(piped.output).toContain('got=piped');
    const typed = await runCliWithInput(
      [
        '-c',
        config,
        'run',
        'production',
        '-t',
        '--',
        'sh',
        '-c',
        'tty; echo "token=$TOKEN"; read x; echo "got=$x"; exit 5',
      ],
      'typed\n',
      { terminal: true, typeAfterMs: 3000 },
    );
    expect(typed.output).toMatch(/\/dev\/pts\/\d+/);
    expect(typed.output).toContain(`token=${TOKEN}`);
    expect(typed.output).toContain('got=typed');
    expect(typed.code, typed.output).toBe(5);
    expect(await runContainers()).toEqual([]);
  });

  it('stops a command in a container at its timeout (exit 124) and removes the container', async () => {
    const started = Date.now();
    const run = await project.cli(['run', 'production', '--timeout', '2s', '--', 'sleep', '60']);
    expect(run.code, run.stderr).toBe(124);
    expect(run.stderr).toContain('stopped after 2s (its timeout)');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await runContainers()).toEqual([]);
  });
});
