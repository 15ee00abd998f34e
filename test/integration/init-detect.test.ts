import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, expectOk, freePort, REPO_ROOT, type CliResult } from '../helpers/project.js';

// `slipway init` in copies of small apps of each kind (test/fixtures/init/<kind>): the file it writes validates,
// and where the kind's toolchain is on this machine, the app is released, deployed on the local host and served
// through the public port with nothing edited but the router's bind address.

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'init');

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Kind {
  fixture: string;
  runtime: 'process' | 'docker';
  build: string | undefined;
  run: string;
  health: string;
  /** Why it is only validated here, or what the served page says. */
  deploy: { skip: string } | { body: RegExp; needs?: { command: string; debianPackage: string } };
}

const KINDS: Kind[] = [
  {
    fixture: 'node',
    runtime: 'process',
    build: 'npm ci && npm run build',
    run: 'npm start',
    health: '/healthz',
    deploy: { body: /^hello from node, build 1\.0\.0$/ },
  },
  {
    fixture: 'python',
    runtime: 'process',
    build: undefined,
    run: 'gunicorn --bind 127.0.0.1:$PORT app:app',
    health: '/healthz',
    deploy: { body: /^hello from python$/, needs: { command: 'gunicorn', debianPackage: 'gunicorn' } },
  },
  {
    fixture: 'go',
    runtime: 'process',
    build: 'CGO_ENABLED=0 go build -o bin/hello .',
    run: './bin/hello',
    health: '/healthz',
    deploy: hasCommand('go')
      ? { body: /^hello from go$/ }
      : { skip: 'no go on this machine (Debian: golang-go)' },
  },
  {
    fixture: 'ruby',
    runtime: 'process',
    build: 'BUNDLE_PATH=vendor/bundle BUNDLE_WITHOUT=development:test bundle install',
    run: 'bundle exec puma -b tcp://127.0.0.1:$PORT',
    health: '/healthz',
    deploy: { skip: 'its build installs gems from rubygems.org' },
  },
  {
    fixture: 'docker',
    runtime: 'docker',
    build: undefined,
    run: 'node server.js',
    health: '/healthz',
    deploy: { skip: 'containers are deployed by docker-deploy.test.ts, with its own dockerd' },
  },
];

/** The CLI run in `cwd`, as a user runs it in a project; npm talks to no registry for the fixtures' builds. */
function cliIn(cwd: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd,
        env: { ...process.env, NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false' },
        timeout: 90_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

const dirs: string[] = [];

/** A copy of the fixture in a short temp dir (the agent's unix socket path is limited). */
function copyFixture(fixture: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sw-${fixture}-`));
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  dirs.push(dir);
  return dir;
}

interface WrittenConfig {
  build?: { command?: string };
  run: { command: string };
  healthCheck: { path: string };
  runtime: { kind: string };
  environments: { production: { publicPort: number } };
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('slipway init: what it writes for each kind of project validates', () => {
  it.each(KINDS)('$fixture', async (kind) => {
    const dir = copyFixture(kind.fixture);
    const init = expectOk(await cliIn(dir, ['init', '--yes']));
    expect(init.stdout).toContain(`  run     ${kind.run}`);
    const text = readFileSync(join(dir, 'slipway.yml'), 'utf8');
    const config = parse(text) as WrittenConfig;
    expect({
      build: config.build?.command,
      run: config.run.command,
      health: config.healthCheck.path,
      runtime: config.runtime.kind,
    }).toEqual({ build: kind.build, run: kind.run, health: kind.health, runtime: kind.runtime });
    // Every guess says why, right above it.
    expect(text).toMatch(new RegExp(`# [^\\n]*\\n  command: ${escapeRegExp(kind.run)}\\n`));
    const validate = await cliIn(dir, ['validate']);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);

    // --yes never stands for --force.
    const again = await cliIn(dir, ['init', '--yes']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists');
  });

  it('--kind picks one of the kinds found, and refuses one that is not there', async () => {
    const dir = copyFixture('docker');
    expectOk(await cliIn(dir, ['init', '--kind', 'node']));
    const config = parse(readFileSync(join(dir, 'slipway.yml'), 'utf8')) as WrittenConfig;
    expect({ run: config.run.command, runtime: config.runtime.kind }).toEqual({
      run: 'npm start',
      runtime: 'process',
    });
    expectOk(await cliIn(dir, ['validate']));

    const wrong = await cliIn(dir, ['init', '--force', '--kind', 'go']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`--kind go: ${dir} is not a go project`);
    expect(wrong.stderr).toContain('found: docker, node');
  });
});

describe('slipway init: the app it was written for deploys on this machine', () => {
  for (const kind of KINDS) {
    const { deploy } = kind;
    // Kinds that cannot deploy here are only validated (the describe above); `deploy.skip` says why.
    if ('skip' in deploy) continue;
    it(`${kind.fixture}: release create, deploy production, served on the public port`, async () => {
      if (deploy.needs) {
        expect(
          hasCommand(deploy.needs.command),
          `${deploy.needs.command} is not on PATH: install the Debian package ${deploy.needs.debianPackage}`,
        ).toBe(true);
      }
      const dir = copyFixture(kind.fixture);
      const port = await freePort();
      expectOk(await cliIn(dir, ['init', '--yes', '--port', String(port)]));
      // The one edit: this machine is shared, so the router listens on loopback only.
      const file = join(dir, 'slipway.yml');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace('bindAddress: 0.0.0.0', 'bindAddress: 127.0.0.1'),
      );
      try {
        expectOk(await cliIn(dir, ['release', 'create', '--version', '1.0.0']));
        expectOk(await cliIn(dir, ['deploy', 'production', '--release', '1.0.0']));
        const response = await fetch(`http://127.0.0.1:${port}/`);
        expect(response.status).toBe(200);
        expect((await response.text()).trim()).toMatch(deploy.body);
      } finally {
        await cliIn(dir, ['agent', 'stop', '--stop-targets']);
      }
    });
  }
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
