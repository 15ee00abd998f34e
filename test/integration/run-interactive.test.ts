import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { runCliWithInput } from '../helpers/terminal.js';

// `slipway run -i` and `-t` (issue 17, item 5): the user's terminal attached to a command in the serving release,
// with its environment and secrets. A terminal is given to the CLI by script(1), as a user's would be.

const TOKEN = 'tok-91be22c4';

describe('slipway run -i / -t', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    project.writeConfig(project.config({ secrets: ['TOKEN'] }));
    mkdirSync(join(project.dir, '.slipway', 'secrets'), { recursive: true });
    writeFileSync(join(project.dir, '.slipway', 'secrets', 'production.env'), `TOKEN=${TOKEN}\n`);
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  }, 120_000);
  afterAll(async () => project?.dispose());

  it('-t: a terminal for the command, in the serving release, with its secrets, and its exit code', async () => {
    const run = await runCliWithInput(
      [
        '-c',
        join(project.dir, 'slipway.yml'),
        'run',
        'production',
        '-t',
        '--',
        'sh',
        '-c',
        'tty; echo "dir=$(basename "$PWD") token=$TOKEN"; printf "name? "; read name; echo "got=$name"; exit 4',
      ],
      'Ada\n',
      { terminal: true },
    );
    expect(run.output).toMatch(/\/dev\/pts\/\d+/);
    expect(run.output).toContain(`dir=1.0.0 token=${TOKEN}`); // a terminal's output is the user's, unredacted
    expect(run.output).toContain('got=Ada');
    expect(run.output).toContain('ran on local in 1.0.0: exit 4');
    expect(run.code).toBe(4);

    const history = expectOk(await project.cli(['history', 'production', '--json', '--limit', '20'])).stdout;
    const ran = (
      JSON.parse(history) as Array<{ kind: string; message: string; data: { interactive: boolean } }>
    ).find((e) => e.kind === 'command.ran');
    expect(ran?.message).toMatch(/\(interactive\) on local in 1\.0\.0: exit 4/);
    expect(ran?.data.interactive).toBe(true);
    expect(history).not.toContain(TOKEN);
  });

  it('-i: piped input reaches the command, without a terminal', async () => {
    const run = await runCliWithInput(
      [
        '-c',
        join(project.dir, 'slipway.yml'),
        'run',
        'production',
        '-i',
        '--',
        'sh',
        '-c',
        'tty || true; wc -l',
      ],
      'a\nb\nc\n',
      { terminal: false },
    );
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('not a tty');
    expect(run.output).toMatch(/^\s*3$/m);
  });

  it('refuses -t without a terminal, and --timeout with -i, before running anything', async () => {
    const tty = await project.cli(['run', 'production', '-t', '--', 'true']);
    expect(tty.code).toBe(2);
    expect(tty.stderr).toContain('-t needs a terminal');
    const timeout = await project.cli(['run', 'production', '-i', '--timeout', '5s', '--', 'true']);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('--timeout is for commands that run on their own');
  });
});
