import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/router/test-backends.js';

export { freePort, REFUSED_PORT } from '../../src/router/test-backends.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(REPO_ROOT, 'dist', 'cli.js');
const EXAMPLE = join(REPO_ROOT, 'examples', 'hello');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestProject {
  dir: string;
  port: number;
  url: string;
  /** Runs the real CLI (dist/cli.js) against this project. */
  cli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** Rewrites slipway.yml (e.g. before creating a misbehaving release). */
  writeConfig(yaml: string): void;
  config(overrides?: ConfigOverrides): string;
  agentPid(): number | null;
  /** Stops the agent and every target it supervises, then removes the directory. */
  dispose(): Promise<void>;
}

/** A copy of examples/hello in a short temp dir (unix socket paths are limited), on its own free port. */
export async function createTestProject(): Promise<TestProject> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-'));
  cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !src.includes('.slipway') });
  const port = await freePort();
  const project: TestProject = {
    dir,
    port,
    url: `http://127.0.0.1:${port}`,
    cli: (args, env = {}) => runCli(['-c', join(dir, 'slipway.yml'), ...args], env),
    writeConfig: (yaml) => writeFileSync(join(dir, 'slipway.yml'), yaml),
    config: (o = {}) => renderConfig(port, o),
    agentPid: () => {
      try {
        return Number(readFileSync(join(dir, '.slipway', 'agent', 'agent.pid'), 'utf8').trim()) || null;
      } catch {
        return null;
      }
    },
    dispose: async () => {
      await runCli(['-c', join(dir, 'slipway.yml'), 'agent', 'stop', '--stop-targets'], {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  project.writeConfig(project.config());
  return project;
}

export interface ConfigOverrides {
  env?: Record<string, string>;
  secrets?: string[];
  /** The strategy mapping's body, indented by six spaces. */
  strategy?: string;
  healthStartTimeout?: string;
  /** Extra lines of the production environment, indented by four spaces. */
  environmentExtra?: string;
}

/** The example app's part of slipway.yml (everything above `environments:`), as the tests run it. */
export function renderAppSection(
  o: {
    env?: Record<string, string>;
    secrets?: string[];
    healthStartTimeout?: string;
    unhealthyThreshold?: number;
  } = {},
): string {
  const env = Object.entries({ GREETING: 'Hello', ...o.env })
    .map(([k, v]) => `  ${k}: "${v}"`)
    .join('\n');
  return `app: hello
build:
  command: node build.js
run:
  command: node server.js
  stopTimeout: 5s
healthCheck:
  path: /healthz
  interval: 200ms
  timeout: 1s
  healthyThreshold: 2
${o.unhealthyThreshold ? `  unhealthyThreshold: ${o.unhealthyThreshold}\n` : ''}  startTimeout: ${o.healthStartTimeout ?? '10s'}
env:
${env}
secrets: [${(o.secrets ?? []).join(', ')}]
`;
}

function renderConfig(port: number, o: ConfigOverrides): string {
  return `${renderAppSection(o)}environments:
  production:
    publicPort: ${port}
    bindAddress: 127.0.0.1
${o.environmentExtra ?? ''}
    strategy:
${o.strategy ?? '      kind: blue-green\n      keepWarm: 5m\n      drainTimeout: 5s'}
`;
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolveRun({ code, stdout, stderr });
      },
    );
  });
}

/** Starts the built CLI with `args` without waiting for it; its output is collected as it comes. */
export function spawnCliProcess(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number>((r) => child.once('close', (code) => r(code ?? 1)));
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

/** Starts the CLI on the project without waiting for it (to hold a lock while another command runs). */
export function spawnCli(project: TestProject, args: string[], env: Record<string, string> = {}) {
  return spawnCliProcess(['-c', join(project.dir, 'slipway.yml'), ...args], env);
}

export function expectOk(result: CliResult): CliResult {
  if (result.code !== 0) {
    throw new Error(`CLI failed (exit ${result.code})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result;
}
