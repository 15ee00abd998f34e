import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { NotFoundError } from '../core/errors.js';
import { redact } from '../core/secret.js';
import type { HandlerContext } from './control-server.js';
import { releaseDirFor } from './release-dirs.js';

/** `runOnce`: a one-off command in a release's directory (`slipway run`), its output streamed line by line. */
export interface RunOnceMethod {
  params: {
    app: string;
    release: string;
    environment: string;
    /** An argv, run without a shell (`slipway run … -- sh -c '…'` for one). */
    argv: string[];
    env: Record<string, string>;
    /** Secret values: in the command's environment, and redacted from what it prints. */
    secretEnv: Record<string, string>;
    /** Past it the command is killed with its process group. */
    timeoutMs: number;
  };
  result: { exitCode: number | null; signal: string | null; timedOut: boolean; durationMs: number };
  event: { stream: 'out' | 'err'; line: string };
}

/** A line longer than this is sent in pieces (a command that prints without line ends is still streamed). */
const MAX_LINE_CHARS = 16 * 1024;

/**
 * Runs `argv` in the release directory of `app` `release` with the release's environment and secrets (as a target
 * gets them, without a port), in its own process group and with no stdin. Each line it prints is sent as an event,
 * every secret value redacted. The client going away, or the timeout, kills the group. The release must be
 * installed on this host.
 */
export function runOnce(
  releasesDir: string,
  params: RunOnceMethod['params'],
  ctx: HandlerContext,
): Promise<RunOnceMethod['result']> {
  const dir = releaseDirFor(releasesDir, params.app, params.release);
  if (!existsSync(dir)) {
    return Promise.reject(
      new NotFoundError(`release ${params.release} of ${params.app} is not installed on this host`, {
        hint: 'deploy it here first; slipway run runs in the release that serves',
      }),
    );
  }
  const secrets = Object.values(params.secretEnv);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const [file = 'sh', ...args] = params.argv;
    const child = spawn(file, args, {
      cwd: dir,
      env: {
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
        HOME: process.env.HOME ?? '/',
        ...params.env,
        ...params.secretEnv,
        SLIPWAY_APP: params.app,
        SLIPWAY_RELEASE: params.release,
        SLIPWAY_ENVIRONMENT: params.environment,
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, params.timeoutMs);
    ctx.signal.addEventListener('abort', killGroup, { once: true });
    const pending = { out: '', err: '' };
    const send = (stream: 'out' | 'err', line: string): void =>
      ctx.emit({ stream, line: redact(line, secrets) } satisfies RunOnceMethod['event']);
    const take = (stream: 'out' | 'err') => (chunk: Buffer) => {
      const lines = (pending[stream] + chunk.toString('utf8')).split('\n');
      pending[stream] = lines.pop() ?? '';
      while (pending[stream].length > MAX_LINE_CHARS) {
        send(stream, pending[stream].slice(0, MAX_LINE_CHARS));
        pending[stream] = pending[stream].slice(MAX_LINE_CHARS);
      }
      for (const line of lines) send(stream, line);
    };
    child.stdout.on('data', take('out'));
    child.stderr.on('data', take('err'));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', killGroup);
      for (const stream of ['out', 'err'] as const) if (pending[stream]) send(stream, pending[stream]);
      // What it started in the background goes with it.
      killGroup();
      resolve({
        exitCode: code,
        signal,
        timedOut,
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}
