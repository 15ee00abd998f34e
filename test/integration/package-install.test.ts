import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshHost } from '../../src/hosts/ssh-host.js';
import { removeTestDir, SSHD_BINARY, startTestSshd, type TestSshd } from '../../src/hosts/test-sshd.js';
import { freePort, REPO_ROOT, type CliResult } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// Slipway as a user gets it: `npm pack` (the prepack build runs), installed globally into a fresh prefix (better-
// sqlite3 built as npm builds it for anyone), then the installed `slipway` run from a project outside the
// repository: init, validate, release, deploy, status, rollback, the dashboard of `slipway server`, and setup of an
// SSH host. And `npx` from the tarball. Slow by nature (npm compiles better-sqlite3, a minute or more of CPU): one
// pack and one install for the whole file, npx's install beside it.

/** Generous: npm fetches ~170 dependencies and compiles better-sqlite3 (and ssh2's optional cpu-features). */
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const PACK_TIMEOUT_MS = 5 * 60_000;

/**
 * The environment of a user's shell: none of what `npm test` and vitest add (npm_* settings of this project,
 * NODE_ENV=test, node_modules/.bin on the PATH) reaches npm or the installed CLI.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE_ENV$|NODE_OPTIONS$|INIT_CWD$|TEST$)/i.test(key)) continue;
    env[key] = value;
  }
  env['PATH'] = (process.env['PATH'] ?? '')
    .split(':')
    .filter((dir) => !dir.includes(`node_modules${sep}.bin`))
    .join(':');
  env['NO_COLOR'] = '1';
  return env;
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<CliResult> {
  return new Promise((resolveRun) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? userEnv(),
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const killed = error?.killed
          ? `\n(killed by ${error.signal ?? 'a signal'}: timed out or stopped)`
          : '';
        resolveRun({ code, stdout, stderr: stderr + killed });
      },
    );
  });
}

function ok(what: string, result: CliResult): CliResult {
  if (result.code !== 0) {
    throw new Error(
      `${what} failed (exit ${result.code})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
  return result;
}

/** Repository paths the copy that is packed leaves out: what is built, installed, or local state. */
function copiedFromRepo(src: string): boolean {
  const path = relative(REPO_ROOT, src).split(sep);
  if (['node_modules', 'dist', '.git', 'test-artifacts'].includes(path[0] ?? '')) return false;
  if (path[0] === 'bench' && path[1] === 'results') return false;
  return !path.includes('.slipway');
}

describe('the packed package, installed globally and run outside the repository', () => {
  let tmp: string;
  let cache: string;
  let tarball: string;
  let entries: string[];
  let prefix: string;
  let npx: CliResult;
  let slipway: string;
  let project: string;
  let port: number;
  let sshd: TestSshd | null = null;
  const seconds: Record<string, string> = {};

  async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await work();
    } finally {
      seconds[what] = ((Date.now() - started) / 1000).toFixed(1);
    }
  }

  /** The installed CLI in the copied project. */
  const cli = (args: string[], timeoutMs = 120_000) => run(slipway, args, { cwd: project, timeoutMs });

  beforeAll(
    async () => {
      // Short: the project's agent socket lives under it.
      tmp = mkdtempSync('/tmp/sw-pkg-');
      // npm's own cache (what it already downloaded), but npx's installs and npm's logs stay in the temp dir.
      const npmCache = ok('npm config get cache', await run('npm', ['config', 'get', 'cache'], { cwd: tmp }));
      const realCacache = join(npmCache.stdout.trim(), '_cacache');
      mkdirSync(realCacache, { recursive: true });
      cache = join(tmp, 'npm-cache');
      mkdirSync(cache);
      symlinkSync(realCacache, join(cache, '_cacache'));

      // Packed from a copy of the working tree: the prepack build then writes its own dist/ (nothing stale
      // from earlier builds), and the dist/ that other test files run meanwhile is not rewritten under them.
      const source = join(tmp, 'source');
      cpSync(REPO_ROOT, source, { recursive: true, filter: copiedFromRepo });
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(source, 'node_modules'));
      const packs = join(tmp, 'packs');
      mkdirSync(packs);
      await timed('pack', async () =>
        ok(
          'npm pack',
          await run('npm', ['pack', '--pack-destination', packs, '--cache', cache], {
            cwd: source,
            timeoutMs: PACK_TIMEOUT_MS,
          }),
        ),
      );
      const tgz = readdirSync(packs).filter((name) => name.endsWith('.tgz'));
      expect(tgz).toHaveLength(1);
      tarball = join(packs, tgz[0]!);
      entries = ok('tar tzf', await run('tar', ['tzf', tarball], { cwd: tmp }))
        .stdout.split('\n')
        .filter(Boolean);
      rmSync(source, { recursive: true, force: true });

      // The global install and npx's own install of the tarball at once: each compiles better-sqlite3, mostly on
      // one core. At the lowest priority (nice 19): the compiles take the CPU the other test files leave, instead
      // of starving their deploys and timers.
      prefix = join(tmp, 'prefix');
      const elsewhere = join(tmp, 'npx');
      mkdirSync(elsewhere);
      const installs = await Promise.all([
        timed('install -g', async () =>
          run('nice', ['-n', '19', 'npm', 'install', '-g', '--prefix', prefix, '--cache', cache, tarball], {
            cwd: tmp,
            timeoutMs: INSTALL_TIMEOUT_MS,
          }),
        ),
        // A directory of its own: npx installs the tarball into its cache (npm-cache/_npx here).
        timed('npx --version', async () =>
          run(
            'nice',
            [
              '-n',
              '19',
              'npm',
              'exec',
              '--yes',
              '--cache',
              cache,
              '--prefix',
              elsewhere,
              '--package',
              tarball,
              '--',
              'slipway',
              '--version',
            ],
            { cwd: elsewhere, timeoutMs: INSTALL_TIMEOUT_MS },
          ),
        ),
      ]);
      ok('npm install -g', installs[0]);
      npx = installs[1];
      slipway = join(prefix, 'bin', 'slipway');

      // examples/hello as a user's own project, far from the repository, on a free port.
      project = join(tmp, 'hello');
      cpSync(join(REPO_ROOT, 'examples', 'hello'), project, {
        recursive: true,
        filter: (src) => !src.includes('.slipway') && !src.endsWith('build-info.json'),
      });
      port = await freePort();
      const config = readFileSync(join(project, 'slipway.yml'), 'utf8');
      expect(config).toContain('publicPort: 8420');
      writeFileSync(join(project, 'slipway.yml'), config.replace('publicPort: 8420', `publicPort: ${port}`));
    },
    PACK_TIMEOUT_MS + INSTALL_TIMEOUT_MS + 60_000,
  );

  afterAll(async () => {
    if (slipway && existsSync(slipway)) await cli(['agent', 'stop', '--stop-targets']).catch(() => undefined);
    if (sshd) {
      const host = new SshHost(fleetHost(sshd), {
        knownHostsFile: join(project, '.slipway', 'known_hosts', 'fleet'),
        trustNewHosts: true,
        connectTimeoutMs: 5_000,
        projectDir: project,
        environment: 'fleet',
      });
      await host.stopAgent({ stopTargets: true }).catch(() => false);
      await host.close();
      await sshd.stop();
      removeTestDir(sshd.dir);
    }
    console.info(`package-install timings (s): ${JSON.stringify(seconds)}`);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  it('ships the built CLI, agent, dashboard and example, and no sources, tests or benchmarks', () => {
    const files = entries.map((entry) => entry.replace(/^package\//, ''));
    for (const file of ['package.json', 'README.md', 'bin/slipway.js', 'dist/cli.js', 'dist/agent.js']) {
      expect(files).toContain(file);
    }
    expect(files).toContain('dist/web/index.html');
    expect(files.some((f) => /^dist\/web\/assets\/.+\.js$/.test(f))).toBe(true);
    expect(files).toContain('examples/hello/slipway.yml');
    const unwanted = files.filter((f) =>
      /^(src|test|bench|scripts|\.ci)\/|^dist\/bench\/|\.map$|\.ts$|(^|\/)\.slipway\//.test(f),
    );
    expect(unwanted).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toMatch(/^>=20\./);
  });

  it('installs the slipway binary and its native SQLite binding', () => {
    expect(existsSync(slipway)).toBe(true);
    const installed = join(prefix, 'lib', 'node_modules', 'slipway');
    expect(
      existsSync(
        join(installed, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
      ),
    ).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
  });

  it('init writes a slipway.yml in an empty directory', async () => {
    const empty = join(tmp, 'my-app');
    mkdirSync(empty);
    const init = ok('init', await run(slipway, ['init'], { cwd: empty }));
    expect(init.stdout).toContain('slipway.yml');
    expect(readFileSync(join(empty, 'slipway.yml'), 'utf8')).toMatch(/^app: my-app$/m);
  });

  it('validates, releases, deploys, reports status and rolls back from the project directory', async () => {
    expect(ok('validate', await cli(['validate'])).stdout).toContain('is valid (app hello');
    await timed('deploy tour', async () => {
      ok('release create 1.0.0', await cli(['release', 'create', '--version', '1.0.0']));
      ok('deploy production', await cli(['deploy', 'production']));
      expect(await body(port)).toContain('1.0.0');
      expect(ok('status', await cli(['status'])).stdout).toContain('1.0.0');
      ok('release create 2.0.0', await cli(['release', 'create', '--version', '2.0.0']));
      ok('deploy 2.0.0', await cli(['deploy', 'production', '--release', '2.0.0']));
      expect(await body(port)).toContain('2.0.0');
      ok('rollback', await cli(['rollback', 'production']));
    });
    expect(await body(port)).toContain('Hello from hello 1.0.0');
    // The agent that serves it is the installed package's bundle.
    const pid = Number(readFileSync(join(project, '.slipway', 'agent', 'agent.pid'), 'utf8').trim());
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toContain(join(prefix, 'lib', 'node_modules', 'slipway', 'dist', 'agent.js'));
    const stop = ok('agent stop', await cli(['agent', 'stop', '--stop-targets']));
    expect(stop.stdout).toContain('agent stopped with its targets');
    await waitFor('the public port to close', async () =>
      (await body(port).catch(() => null)) === null ? true : undefined,
    );
  });

  it("serves the dashboard's built files with `slipway server`", async () => {
    const server = spawn(slipway, ['server', '--listen', '127.0.0.1:0'], {
      cwd: project,
      env: userEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stdout.on('data', (d: Buffer) => (output += d.toString()));
    server.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const url = await waitFor(
        'slipway server to listen',
        () => {
          if (server.exitCode !== null) throw new Error(`slipway server exited: ${output}`);
          return Promise.resolve(/listening on (http:\/\/\S+)/.exec(output)?.[1]);
        },
        60_000,
      );
      const index = await fetch(`${url}/`);
      expect(index.status).toBe(200);
      const html = await index.text();
      expect(html).toContain('<title>Slipway</title>');
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      expect((await fetch(`${url}${script}`)).status).toBe(200);
    } finally {
      const exited = new Promise((resolveExit) =>
        server.exitCode === null ? server.once('exit', resolveExit) : resolveExit(null),
      );
      server.kill('SIGTERM');
      await exited;
    }
  });

  // As root (the test sshd logs in as root) and never where systemd runs: setup would install a real unit there.
  const canSsh = process.getuid?.() === 0 && existsSync(SSHD_BINARY) && !existsSync('/run/systemd/system');
  it.skipIf(!canSsh)(
    'sets up an SSH host (node and the agent uploaded) and deploys to it',
    async () => {
      sshd = await startTestSshd();
      const fleetPort = await freePort();
      const host = fleetHost(sshd);
      const config = readFileSync(join(project, 'slipway.yml'), 'utf8');
      writeFileSync(
        join(project, 'slipway.yml'),
        `${config}  fleet:
    hosts:
      - name: ${host.name}
        address: 127.0.0.1
        port: ${host.port}
        user: root
        identityFile: ${host.identityFile}
        agentHome: ${host.agentHome}
    publicPort: ${fleetPort}
    bindAddress: 127.0.0.1
    strategy:
      kind: blue-green
      drainTimeout: 5s
`,
      );
      ok('validate', await cli(['validate']));
      await timed('setup + deploy over SSH', async () => {
        const setup = ok('setup', await cli(['setup', 'fleet', '--trust-new-hosts'], 300_000));
        expect(setup.stdout).toContain('1 of 1 hosts ready');
        expect(setup.stdout).toMatch(/node uploaded, agent\.js uploaded/);
        // A release carries its environments: one made after the fleet was added.
        ok('release create 3.0.0', await cli(['release', 'create', '--version', '3.0.0']));
        ok('deploy fleet', await cli(['deploy', 'fleet', '--release', '3.0.0'], 300_000));
      });
      expect(await body(fleetPort)).toContain('Hello from hello 3.0.0');
      // The uploaded agent is the installed package's bundle.
      const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
      expect(sha256(join(host.agentHome, 'bin', 'agent.js'))).toBe(
        sha256(join(prefix, 'lib', 'node_modules', 'slipway', 'dist', 'agent.js')),
      );
    },
    600_000,
  );

  it('runs with npx from the tarball', () => {
    ok('npm exec --package <tarball> -- slipway --version', npx);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(npx.stdout.trim().split('\n').at(-1)).toBe(pkg.version);
  });
});

function fleetHost(sshd: TestSshd) {
  return {
    name: 'web1',
    address: '127.0.0.1',
    port: sshd.port,
    user: 'root',
    identityFile: sshd.clientKey,
    roles: [],
    agentHome: join(sshd.dir, 'home'),
  };
}

/** The body of GET / on the public port. */
async function body(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) });
  return response.text();
}
