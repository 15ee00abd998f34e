import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, freePort, runCli, type TestProject } from '../helpers/project.js';

// The stumbles a first-time user met on the tour (issue 18), each as that user meets it, through the real CLI.

describe('the demo on a port of your choice', () => {
  let busy: Server;
  let busyPort: number;
  let port: number;
  // The demo keeps its copy of the example in $XDG_STATE_HOME/slipway (test/integration/cli-edges.test.ts: the default).
  const stateHome = mkdtempSync(join(tmpdir(), 'sw-state-'));
  const demoEnv = { XDG_STATE_HOME: stateHome };

  beforeAll(async () => {
    busyPort = await freePort();
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(busyPort, '127.0.0.1', resolve));
    port = await freePort();
  });
  afterAll(async () => {
    busy.close();
    const copy = join(stateHome, 'slipway', `demo-port-${port}`);
    if (existsSync(copy)) await runCli(['-c', join(copy, 'slipway.yml'), 'agent', 'stop', '--stop-targets']);
    rmSync(stateHome, { recursive: true, force: true });
  });

  it('names the busy port and how to choose another, before anything is built or written', async () => {
    const result = await runCli(['demo', '--port', String(busyPort)], demoEnv);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: port ${busyPort} on 127.0.0.1 is already in use\n`);
    expect(result.stderr).toContain(
      `hint: run the demo on another port: slipway demo --port ${busyPort + 1} (npm start -- --port ${busyPort + 1}, or set SLIPWAY_DEMO_PORT=${busyPort + 1})`,
    );
    expect(existsSync(join(stateHome, 'slipway', `demo-port-${busyPort}`))).toBe(false);
  });

  it('serves the demo on --port, and the commands it suggests next work on that port', async () => {
    const demo = expectOk(await runCli(['demo', '--port', String(port)], demoEnv));
    expect(demo.stdout).toContain(`Served at http://127.0.0.1:${port}/`);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('hello 1.0.0');
    const config = /-c (\S+) status /.exec(demo.stdout)?.[1];
    expect(config).toBe(join(stateHome, 'slipway', `demo-port-${port}`, 'slipway.yml'));
    const status = expectOk(await runCli(['-c', config ?? '', 'status']));
    expect(status.stdout).toContain(`router 127.0.0.1:${port}`);
    expect(status.stdout).toMatch(/serving\s+1\.0\.0/);
    // Again: its own router holds the port, which is no reason to refuse.
    const again = expectOk(await runCli(['demo', '--port', String(port)], demoEnv));
    expect(again.stdout).toContain('production already serves 1.0.0; nothing to deploy');
  });
});

describe('the tour, step by step', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  });
  afterAll(async () => project.dispose());

  it('plan shows <new> for the ids the deploy gives, and none the deploy does not use', async () => {
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    const plan = expectOk(await project.cli(['plan', 'production', '--release', '2.0.0'])).stdout;
    expect(plan.split('\n')[0]).toBe('Deploy hello 2.0.0 to production (blue-green), deployment <new>');
    expect(plan).toContain('start target hello-2.0.0-<new> (2.0.0) on local');
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '2.0.0'])).stdout;
    const id = /deployment (d[a-z0-9]+)/.exec(deploy)?.[1] ?? '';
    expect(id).not.toBe('');
    expect(plan).not.toContain(id);
    expect(plan).not.toContain(id.slice(-6));
    // The deploy's own ids: its target is named after it.
    expect(expectOk(await project.cli(['status'])).stdout).toContain(`hello-2.0.0-${id.slice(-6)}`);
  });

  it('a rollback says it takes the environment back to the release, everywhere it is told', async () => {
    const rollback = expectOk(await project.cli(['rollback', 'production']));
    expect(rollback.stdout).toMatch(/^Rolling production back to hello 1\.0\.0 \(blue-green, deployment d/m);
    expect(rollback.stdout).toContain('✔ 1.0.0 is live in production');
    const history = expectOk(await project.cli(['history', 'production', '-n', '5'])).stdout;
    expect(history).toMatch(/rollback\.started\s+production\s+rollback of production to 1\.0\.0 started by /);
    expect(history).toMatch(
      /rollback\.succeeded\s+production\s+rollback of production to 1\.0\.0 succeeded by /,
    );
    expect(history).not.toContain('rollback of 1.0.0');
  });

  it('history keeps an event of several lines in one block, its actor on its first line', async () => {
    project.writeConfig(project.config({ env: { CRASH_AT_START: '1' } }));
    expectOk(await project.cli(['release', 'create', '--version', '3.0.0-crash']));
    expect((await project.cli(['deploy', 'production', '--release', '3.0.0-crash'])).code).toBe(1);
    project.writeConfig(project.config());

    const lines = expectOk(await project.cli(['history', 'production', '-n', '4'])).stdout.split('\n');
    const head = lines.findIndex((l) => /^\S+Z deploy\.rolled-back /.test(l));
    const first = lines[head] ?? '';
    expect(first).toMatch(/ by \S+@\S+$/); // the actor, on the event's own line
    const column = first.indexOf('deploy of 3.0.0-crash');
    const block = lines.slice(
      head + 1,
      lines.findIndex((l, i) => i > head && /^\S+Z /.test(l)),
    );
    expect(block).toContain(`${' '.repeat(column)}--- last lines of stderr ---`);
    expect(block.some((l) => l.startsWith(`${' '.repeat(column)}hint: the app exited with code 3`))).toBe(
      true,
    );
    for (const line of block) {
      expect(line.slice(0, column).trim()).toBe(''); // under the message, not at the start of a line
      expect(line).not.toMatch(/ by \S+@\S+$/);
    }
  });

  it('refuses names that are not there as bad input (exit 2), before any host is asked', async () => {
    const cases: Array<[string[], string]> = [
      [['plan', 'nope'], 'error: no environment named "nope" in slipway.yml'],
      [['plan', 'production', '--release', '9.9.9'], 'error: release 9.9.9 of hello does not exist'],
      [['plan'], 'error: name an environment, or use --pipeline'],
      [['deploy', 'production', '--release', '9.9.9'], 'error: release 9.9.9 of hello does not exist'],
      [['deploy', 'nope', '--release', '1.0.0'], 'error: no environment named "nope" in slipway.yml'],
      [['rollback', 'production', '--to', '9.9.9'], 'error: release 9.9.9 of hello does not exist'],
      [['status', 'nope'], 'error: no environment named "nope" in slipway.yml'],
      [['logs', 'nope'], 'error: no environment named "nope" in slipway.yml'],
      [['deploy', 'production', '--at', 'soon'], 'error: --at "soon" is not a time'],
    ];
    for (const [args, error] of cases) {
      const result = await project.cli(args);
      expect({ args, code: result.code, error: result.stderr.split('\n')[0] }).toEqual({
        args,
        code: 2,
        error,
      });
    }
  });

  it('status, history, logs and plan start no agent after `agent stop --stop-targets`; they say it is not running', async () => {
    expectOk(await project.cli(['agent', 'stop', '--stop-targets']));
    const status = expectOk(await project.cli(['status']));
    expect(status.stdout).toContain(
      'agent not running — "slipway agent start" starts it again, "slipway deploy production" too',
    );
    expect(status.stdout).toContain('last: deploy 3.0.0-crash');
    expectOk(await project.cli(['history']));
    const logs = expectOk(await project.cli(['logs', 'production']));
    expect(logs.stderr).toContain('agent not running on local: no logs from there');
    expect(expectOk(await project.cli(['releases'])).stdout).toContain('3.0.0-crash');
    const plan = expectOk(await project.cli(['plan', 'production', '--release', '2.0.0'])).stdout;
    expect(plan).toContain(
      'agent not running on local: planned as running nothing there (the deploy starts it, and it adopts the targets it left, if any)',
    );
    expect((await project.cli(['deploy', 'production', '--release', '9.9.9'])).code).toBe(2);
    expect(expectOk(await project.cli(['agent', 'status'])).stdout).toBe('agent: not running\n');

    expect(expectOk(await project.cli(['agent', 'start'])).stdout).toMatch(/^agent \S+ started, pid \d+/);
    expect(expectOk(await project.cli(['status'])).stdout).toContain('no targets');
  });

  it('an unquoted run.command holding ": " is refused where it is, with the line to write instead', async () => {
    project.writeConfig(
      project.config().replace('command: node server.js', 'command: node server.js --mode: demo'),
    );
    const result = await project.cli(['validate']);
    project.writeConfig(project.config());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/slipway\.yml:5:12: invalid YAML: Nested mappings are not allowed/);
    expect(result.stderr).toContain("quote the value: command: 'node server.js --mode: demo'");
  });
});
