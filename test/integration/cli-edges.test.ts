import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  createTestProject,
  expectOk,
  freePort,
  REPO_ROOT,
  type CliResult,
  type TestProject,
} from '../helpers/project.js';

// Edges a new user meets with the real CLI (issue 18): a number that is not one is bad input (exit 2) that says
// which option and what range; a reader that goes away (`| head -1`) ends the CLI quietly; and the demo runs from a
// package the user cannot write to (installed with `npm install -g`), keeping its files in the user's own place.

function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolveRun) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd ?? REPO_ROOT,
        env: options.env ?? { ...process.env, NO_COLOR: '1' },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolveRun({ code, stdout, stderr });
      },
    );
  });
}

/**
 * The CLI with its stdout a pipe whose reader is gone before the CLI writes a byte (as after `| head -1` has its
 * line): the reader closes its end, then the CLI starts. Deterministic, unlike a race with head.
 */
async function runWithReaderGone(args: string[]): Promise<{ code: number; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-pipe-'));
  try {
    const script = `{ until [ -e "$DIR/closed" ]; do sleep 0.01; done
  "$NODE" "$CLI" "$@" 2>"$DIR/stderr"; echo $? >"$DIR/code"; } | { exec 0<&-; : >"$DIR/closed"; }`;
    const env = { ...process.env, NO_COLOR: '1', DIR: dir, NODE: process.execPath, CLI };
    expectOk(await run('bash', ['-c', script, 'bash', ...args], { env }));
    return {
      code: Number(readFileSync(join(dir, 'code'), 'utf8').trim()),
      stderr: readFileSync(join(dir, 'stderr'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('numeric options', () => {
  let project: TestProject;
  let empty: string;

  beforeAll(async () => {
    project = await createTestProject();
    empty = mkdtempSync(join(tmpdir(), 'sw-init-'));
  });
  afterAll(async () => {
    await project.dispose();
    rmSync(empty, { recursive: true, force: true });
  });

  it('init refuses a port that is not one as bad input (exit 2), naming the option and the range, writing nothing', async () => {
    const config = join(empty, 'slipway.yml');
    for (const port of ['70000', 'abc', '0', '-1', '80.5']) {
      const result = await run(process.execPath, [CLI, '-c', config, 'init', '--port', port]);
      expect({ port, code: result.code, stderr: result.stderr }).toEqual({
        port,
        code: 2,
        stderr: `error: --port "${port}" is not a port: expected a whole number from 1 to 65535\nhint: e.g. --port 8080\n`,
      });
      expect(existsSync(config)).toBe(false);
    }
    expectOk(await run(process.execPath, [CLI, '-c', config, 'init', '--port', '8421']));
    expect(readFileSync(config, 'utf8')).toMatch(/publicPort: 8421/);
  });

  it('every verb refuses a number that is not one the same way, before anything is asked', async () => {
    const cases: Array<[string[], string, Record<string, string>?]> = [
      [
        ['history', '--limit', '0'],
        'error: --limit "0" is not a number of events: expected a whole number 1 or more',
      ],
      [
        ['history', '-n', 'ten'],
        'error: --limit "ten" is not a number of events: expected a whole number 1 or more',
      ],
      [
        ['logs', 'production', '--lines', '-5'],
        'error: --lines "-5" is not a number of lines: expected a whole number 1 or more',
      ],
      [
        ['logs', 'production', '-n', '1e3'],
        'error: --lines "1e3" is not a number of lines: expected a whole number 1 or more',
      ],
      [
        ['webhook', '--port', '70000'],
        'error: --port "70000" is not a port: expected a whole number from 0 to 65535',
      ],
      [['demo', '--port', '0'], 'error: --port "0" is not a port: expected a whole number from 1 to 65535'],
      [
        ['demo'],
        'error: SLIPWAY_DEMO_PORT "abc" is not a port: expected a whole number from 1 to 65535',
        { SLIPWAY_DEMO_PORT: 'abc' },
      ],
      [['server', '--listen', '127.0.0.1:70000'], 'error: --listen "127.0.0.1:70000" is not host:port'],
      [
        ['server', '--takeover-after', '10ms'],
        'error: --takeover-after "10ms" is not a duration of 1s or more',
      ],
      // Over --server too: refused before the server is asked (nothing listens on port 9).
      [
        ['--server', 'http://127.0.0.1:9', 'history', '--limit', '0'],
        'error: --limit "0" is not a number of events: expected a whole number 1 or more',
      ],
      [
        ['--server', 'http://127.0.0.1:9', 'logs', 'production', '--lines', 'x'],
        'error: --lines "x" is not a number of lines: expected a whole number 1 or more',
      ],
    ];
    for (const [args, error, env] of cases) {
      const result = await project.cli(args, env);
      const first = result.stderr.split('\n')[0] ?? '';
      expect({ args, code: result.code, error: first.slice(0, error.length) }).toEqual({
        args,
        code: 2,
        error,
      });
      expect(result.stderr).toMatch(/\nhint: e\.g\. /);
    }
    // Good values still work.
    expectOk(await project.cli(['history', '--limit', '5']));
  });
});

describe('a reader that goes away', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject();
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await project.cli(['release', 'create', '--version', '2.0.0']));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
  });
  afterAll(async () => project.dispose());

  it('ends help, status and history quietly, exit 0, as git does', async () => {
    const config = join(project.dir, 'slipway.yml');
    for (const args of [
      ['--help'],
      ['-c', config, 'status'],
      ['-c', config, 'history', 'production'],
      ['-c', config, 'releases'],
    ]) {
      expect({ args, ...(await runWithReaderGone(args)) }).toEqual({ args, code: 0, stderr: '' });
    }
  });

  it('`| head -1` gives the line and nothing on stderr, with pipefail too', async () => {
    const config = join(project.dir, 'slipway.yml');
    const env = { ...process.env, NO_COLOR: '1', NODE: process.execPath, CLI, CONFIG: config };
    for (const verb of ['--help', 'status', 'history production']) {
      const script = `set -o pipefail; "$NODE" "$CLI" -c "$CONFIG" ${verb} | head -1`;
      const result = await run('bash', ['-c', script], { env });
      expect({ verb, ...result, stdout: result.stdout.split('\n').length }).toEqual({
        verb,
        code: 0,
        stdout: 2,
        stderr: '',
      });
    }
  });

  it('stops a deployment as a closed terminal does: before its next step, resumable', async () => {
    const result = await runWithReaderGone([
      '-c',
      join(project.dir, 'slipway.yml'),
      'deploy',
      'production',
      '--release',
      '2.0.0',
    ]);
    expect(result.stderr).not.toContain('EPIPE');
    expect(result.code).not.toBe(0);
    const status = expectOk(await project.cli(['status'])).stdout;
    expect(status).toMatch(/serving\s+1\.0\.0/);
    expect(status).toContain('resume it with: slipway deploy production --resume');
    expect(expectOk(await project.cli(['deploy', 'production', '--resume'])).stdout).toContain(
      '✔ 2.0.0 is live in production',
    );
  });
});

describe('the demo from a package the user cannot write to', () => {
  // Root writes through any mode: then the CLI runs as nobody (setpriv, util-linux), as a user of a global install.
  const asRoot = process.getuid?.() === 0;
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const canRun = !asRoot || setpriv !== undefined;
  const NOBODY = 65534;
  let root: string;
  let pkg: string;
  let home: string;
  let port: number;

  /** The packaged CLI (or any command) as the user, in their home, with HOME there and no XDG_STATE_HOME. */
  function asUser(command: string, args: string[]): Promise<CliResult> {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1' };
    delete env['XDG_STATE_HOME'];
    if (!asRoot) return run(command, args, { cwd: home, env });
    const drop = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'];
    return run(setpriv ?? 'setpriv', [...drop, command, ...args], { cwd: home, env });
  }
  const slipway = (args: string[]): Promise<CliResult> =>
    asUser(process.execPath, [join(pkg, 'bin', 'slipway.js'), ...args]);

  beforeAll(async () => {
    if (!canRun) return;
    // Short: the demo's agent sockets live under the home directory.
    root = mkdtempSync(join(tmpdir(), 'sw-ro-'));
    chmodSync(root, 0o755);
    pkg = join(root, 'pkg');
    home = join(root, 'home');
    mkdirSync(join(pkg, 'examples'), { recursive: true });
    mkdirSync(home);
    for (const part of ['bin', 'dist', 'package.json'])
      cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true });
    cpSync(join(REPO_ROOT, 'examples', 'hello'), join(pkg, 'examples', 'hello'), {
      recursive: true,
      filter: (src) => !src.includes('.slipway'),
    });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(pkg, 'node_modules'));
    expectOk(await run('chmod', ['-R', 'a-w', pkg]));
    if (asRoot) chownSync(home, NOBODY, NOBODY);
    port = await freePort();
  });
  afterAll(async () => {
    if (!canRun) return;
    await slipway([
      '-c',
      join(home, '.local/state/slipway', `demo-port-${port}`, 'slipway.yml'),
      'agent',
      'stop',
      '--stop-targets',
    ]);
    await run('chmod', ['-R', 'u+w', root]);
    rmSync(root, { recursive: true, force: true });
  });

  it.skipIf(!canRun)(
    'serves the demo from a copy in ~/.local/state/slipway, says where it is, and its next commands work',
    async () => {
      const demo = await slipway(['demo', '--port', String(port)]);
      expect(demo.stderr).toBe('');
      expect(demo.code).toBe(0);
      const where = `~/.local/state/slipway/demo-port-${port}`;
      expect(demo.stdout).toContain(
        `Slipway demo: hello (a copy of examples/hello) in ${where}, store ${where}/.slipway/`,
      );
      expect(demo.stdout).toContain(`Served at http://127.0.0.1:${port}/`);
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('hello 1.0.0');
      expect(existsSync(join(home, '.local/state/slipway', `demo-port-${port}`, '.slipway'))).toBe(true);
      expect(existsSync(join(pkg, 'examples', 'hello', '.slipway'))).toBe(false);
      expect(demo.stdout).toContain(`  rm -rf ${where}`);

      // The next command as printed, run by the user's shell (which expands ~).
      const next = /^ {2}(\S+ -c \S+ status)\b/m.exec(demo.stdout)?.[1] ?? '';
      expect(next).toBe(`${join(pkg, 'bin', 'slipway.js')} -c ${where}/slipway.yml status`);
      const status = await asUser('bash', ['-c', next]);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/serving\s+1\.0\.0/);
    },
  );
});
