import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

// The test runner's PATH may lack the sbin directories where ip, sshd and friends live.
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const DEFAULT_TIMEOUT_MS = 30_000;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class TestbedCommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: CommandResult,
  ) {
    super(
      `testbed command failed (exit ${result.code}): ${argv.join(' ')}\n${result.stderr.trim().slice(-2000)}`,
    );
    this.name = 'TestbedCommandError';
  }
}

/** PATH of the runner plus the system directories, so child processes find `ip`, `mount`, … too. */
export function deriveSearchPath(envPath: string | undefined): string {
  const dirs = (envPath ?? '').split(delimiter).filter(Boolean);
  for (const dir of SYSTEM_DIRS) if (!dirs.includes(dir)) dirs.push(dir);
  return dirs.join(delimiter);
}

const SEARCH_PATH = deriveSearchPath(process.env.PATH);
const found = new Map<string, string | undefined>();

export function findBinary(name: string): string | undefined {
  if (isAbsolute(name)) return isExecutable(name) ? name : undefined;
  if (!found.has(name)) {
    const dir = SEARCH_PATH.split(delimiter).find((d) => isExecutable(join(d, name)));
    found.set(name, dir === undefined ? undefined : join(dir, name));
  }
  return found.get(name);
}

export function requireBinary(name: string): string {
  const path = findBinary(name);
  if (path === undefined) throw new Error(`testbed: \`${name}\` not found (searched ${SEARCH_PATH})`);
  return path;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const commandEnv: NodeJS.ProcessEnv = { ...process.env, PATH: SEARCH_PATH };

/** Runs argv (no shell) and resolves with its exit code and output; never rejects on a non-zero exit. */
export function runCommand(
  argv: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<CommandResult> {
  const [command, ...args] = argv;
  if (command === undefined) return Promise.reject(new Error('testbed: empty argv'));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(requireBinary(command), args, { stdio: ['ignore', 'pipe', 'pipe'], env: commandEnv });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: signal === null ? stderr : `${stderr}\n(killed by ${signal} after at most ${timeoutMs} ms)`,
      });
    });
  });
}

/** Like runCommand, but a non-zero exit is an error. */
export async function runChecked(
  argv: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<CommandResult> {
  const result = await runCommand(argv, options);
  if (result.code !== 0) throw new TestbedCommandError(argv, result);
  return result;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true; throws with `what` when timeoutMs passes first. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`testbed: timed out after ${options.timeoutMs} ms: ${what}`);
    await sleep(options.intervalMs ?? 50);
  }
}
