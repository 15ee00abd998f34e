import { existsSync } from 'node:fs';
import { NotFoundError } from '../core/errors.js';
import { redact } from '../core/secret.js';
import type { HandlerContext } from './control-server.js';
import { releaseDirFor } from './release-dirs.js';
import { runProcessGroup } from './run-process-group.js';
import { createLineSplitter } from '../core/line-splitter.js';
import { runInContainer } from '../runtime/docker-run-once.js';
import type { ContainerSpec } from './protocol.js';

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
    /** A container release: the command runs in a new container of its image (absent: a process). */
    container?: ContainerSpec;
  };
  result: { exitCode: number | null; signal: string | null; timedOut: boolean; durationMs: number };
  event: { stream: 'out' | 'err'; line: string };
}

/** A line longer than this is sent in pieces (a command that prints without line ends is still streamed). */
const MAX_LINE_CHARS = 16 * 1024;

/**
 * Runs `argv` once for `slipway run`: in a container of the release image for a container release, else as a process
 * in the release directory. Each line it prints is sent as an event, every secret value redacted.
 */
export function runOnce(
  releasesDir: string,
  params: RunOnceMethod['params'],
  ctx: HandlerContext,
): Promise<RunOnceMethod['result']> {
  const secrets = Object.values(params.secretEnv);
  const splitters = {
    out: createLineSplitter((line) => send('out', line), MAX_LINE_CHARS),
    err: createLineSplitter((line) => send('err', line), MAX_LINE_CHARS),
  };
  const send = (stream: 'out' | 'err', line: string): void =>
    ctx.emit({ stream, line: redact(line, secrets) } satisfies RunOnceMethod['event']);
  const output = {
    chunk: (stream: 'out' | 'err', chunk: Buffer) => splitters[stream].push(chunk),
    end: () => {
      splitters.out.flush();
      splitters.err.flush();
    },
  };
  if (params.container) {
    const env = { ...params.env, ...params.secretEnv, ...slipwayEnv(params) };
    return runInContainer(params.container, { ...params, env }, output.chunk, ctx.signal).finally(output.end);
  }
  return runProcessOnce(releasesDir, params, ctx, output);
}

const slipwayEnv = (params: RunOnceMethod['params']): Record<string, string> => ({
  SLIPWAY_APP: params.app,
  SLIPWAY_RELEASE: params.release,
  SLIPWAY_ENVIRONMENT: params.environment,
});

/**
 * Runs `argv` in the release directory of `app` `release` with the release's environment and secrets (as a target
 * gets them, without a port), in its own process group and with no stdin. The client going away, or the timeout,
 * kills the group. The release must be installed on this host.
 */
function runProcessOnce(
  releasesDir: string,
  params: RunOnceMethod['params'],
  ctx: HandlerContext,
  output: { chunk: (stream: 'out' | 'err', chunk: Buffer) => void; end: () => void },
): Promise<RunOnceMethod['result']> {
  const dir = releaseDirFor(releasesDir, params.app, params.release);
  if (!existsSync(dir)) {
    return Promise.reject(
      new NotFoundError(`release ${params.release} of ${params.app} is not installed on this host`, {
        hint: 'deploy it here first; slipway run runs in the release that serves',
      }),
    );
  }
  return runProcessGroup({
    argv: params.argv,
    cwd: dir,
    env: { ...params.env, ...params.secretEnv, ...slipwayEnv(params) },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeoutMs: params.timeoutMs,
    signal: ctx.signal,
    onChild: (child) => {
      child.stdout?.on('data', (chunk: Buffer) => output.chunk('out', chunk));
      child.stderr?.on('data', (chunk: Buffer) => output.chunk('err', chunk));
    },
  }).finally(output.end);
}
