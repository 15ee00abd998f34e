import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';

// `slipway run` (issue 17, item 5): a command once, in the serving release's directory with its environment and
// secrets, its output streamed (secrets redacted), its exit code returned, ledgered without any value.

const GREETING = 'Ahoy-7d3e1b';

describe('slipway run', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    project.writeConfig(
      project
        .config({ secrets: ['GREETING'] })
        .replace('  GREETING: "Hello"\n', '')
        .replace(/^env:\n(?=secrets:)/m, 'env: {}\n'),
    );
    mkdirSync(join(project.dir, '.slipway', 'secrets'), { recursive: true });
    writeFileSync(join(project.dir, '.slipway', 'secrets', 'production.env'), `GREETING=${GREETING}\n`);
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  }, 120_000);
  afterAll(async () => project?.dispose());

  it('runs in the serving release with its environment and secrets, streams its output and returns its exit code', async () => {
    const run = await project.cli([
      'run',
      'production',
      '--',
      'sh',
      '-c',
      'echo "greeting=$GREETING release=$SLIPWAY_RELEASE env=$SLIPWAY_ENVIRONMENT dir=$(basename "$PWD")"; ls server.js; echo "oops $GREETING" >&2; exit 3',
    ]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain('greeting=[redacted] release=1.0.0 env=production dir=1.0.0');
    expect(run.stdout).toContain('server.js');
    expect(run.stderr).toContain('oops [redacted]');
    expect(run.stderr).toContain('ran on local in 1.0.0: exit 3');
    expect(run.stdout + run.stderr).not.toContain(GREETING);

    const history = expectOk(await project.cli(['history', 'production', '--json', '--limit', '50'])).stdout;
    const events = JSON.parse(history) as Array<{
      kind: string;
      message: string;
      data: { exitCode: number };
    }>;
    const ran = events.find((e) => e.kind === 'command.ran');
    expect(ran?.message).toMatch(/^ran "sh -c echo .*" on local in 1\.0\.0: exit 3 \(took /);
    expect(ran?.data.exitCode).toBe(3);
    expect(history).not.toContain(GREETING);
  });

  it('exits 0 for a command that succeeds', async () => {
    const run = expectOk(await project.cli(['run', 'production', '--', 'node', '-e', 'console.log(1 + 1)']));
    expect(run.stdout.trim()).toBe('2');
  });

  it('stops a command past its timeout with what it started, exiting 124', async () => {
    const started = Date.now();
    const run = await project.cli([
      'run',
      'production',
      '--timeout',
      '1s',
      '--',
      'sh',
      '-c',
      'sleep 37.25 & sleep 37.5',
    ]);
    expect(run.code).toBe(124);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.stderr).toContain('stopped after 1s');
    expect(() => execFileSync('pgrep', ['-f', 'sleep 37.2'])).toThrow(); // pgrep exits 1: none left
  });

  it("refuses a host that is not the environment's, and an empty command", async () => {
    const host = await project.cli(['run', 'production', '--host', 'nope', '--', 'true']);
    expect(host.code).toBe(2);
    expect(host.stderr).toContain('nope is not a host of production');
    const empty = await project.cli(['run', 'production', '--', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no command to run');
  });
});
