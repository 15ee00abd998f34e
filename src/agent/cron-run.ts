import { appendFileSync, existsSync } from 'node:fs';
import { appendFile, mkdir, open, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { LABEL_PREFIX } from '../runtime/container-config.js';
import { runInContainer } from '../runtime/docker-run-once.js';
import type { CronJobSpec } from './cron-protocol.js';
import { runProcessGroup } from './run-process-group.js';
import { readTailLines } from './log-files.js';
import type { ContainerSpec } from './protocol.js';

/** What a route serves now, as a job runs in it: its live target's release, directory, env and secrets. */
export interface LiveTarget {
  release: string;
  releaseDir: string;
  env: Record<string, string>;
  secretEnv: Record<string, string>;
  /** A container release: a run is a container of its image. */
  container?: ContainerSpec;
}

export interface RunEnd {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}

interface RunContext {
  logsDir: string;
  route: string;
  app: string;
  environment: string;
}

/** A job's log grows to this, then the older half moves to `<job>.log.1`. */
const MAX_LOG_BYTES = 8 * 1024 * 1024;
export const JOB_LABEL = `${LABEL_PREFIX}.job`;

/** Where a job's runs write what they print, both streams in one file (`slipway logs --job`). */
export function cronLogPath(logsDir: string, route: string, job: string): string {
  const safe = (name: string): string => name.replace(/[^a-zA-Z0-9_.@-]/g, '_').replace(/^\.+/, '_');
  return join(logsDir, 'cron', safe(route), `${safe(job)}.log`);
}

/** The last `lines` lines the job printed, across its runs. */
export async function readCronLog(
  logsDir: string,
  route: string,
  job: string,
  lines: number,
): Promise<string[] | null> {
  const path = cronLogPath(logsDir, route, job);
  if (!existsSync(path)) return null;
  return readTailLines(path, lines, 256 * 1024);
}

function argvOf(command: CronJobSpec['command']): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
}

function envOf(ctx: RunContext, job: CronJobSpec, tick: number, live: LiveTarget): Record<string, string> {
  return {
    ...live.env,
    ...live.secretEnv,
    SLIPWAY_APP: ctx.app,
    SLIPWAY_RELEASE: live.release,
    SLIPWAY_ENVIRONMENT: ctx.environment,
    SLIPWAY_JOB: job.name,
    SLIPWAY_JOB_TICK: new Date(tick).toISOString(),
  };
}

/**
 * One run of a job in the live target: a process group in its release directory, or a container of its image.
 * What it prints goes straight to the job's log file (a run outlives an agent restart; its end is then not
 * recorded); past the job's timeout it is killed with what it started.
 */
export async function runCronJob(
  ctx: RunContext,
  job: CronJobSpec,
  tick: number,
  live: LiveTarget,
): Promise<RunEnd> {
  const path = cronLogPath(ctx.logsDir, ctx.route, job.name);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  if (size > MAX_LOG_BYTES) await rename(path, `${path}.1`);
  await appendFile(path, `--- ${job.name} ${new Date(tick).toISOString()} in ${live.release} ---\n`, {
    mode: 0o600,
  });
  return live.container
    ? runJobContainer(ctx, job, tick, live, live.container, path)
    : runProcess(ctx, job, tick, live, path);
}

async function runProcess(
  ctx: RunContext,
  job: CronJobSpec,
  tick: number,
  live: LiveTarget,
  logPath: string,
): Promise<RunEnd> {
  if (!existsSync(live.releaseDir)) {
    throw new SlipwayError(`the release directory ${live.releaseDir} is gone`);
  }
  const log = await open(logPath, 'a', 0o600);
  try {
    return await runProcessGroup({
      argv: argvOf(job.command),
      cwd: live.releaseDir,
      env: envOf(ctx, job, tick, live),
      stdio: ['ignore', log.fd, log.fd],
      timeoutMs: job.timeoutMs,
    });
  } finally {
    await log.close();
  }
}

/** A run of a container release: a container of its image (src/runtime/docker-run-once.ts), its output in the log. */
async function runJobContainer(
  ctx: RunContext,
  job: CronJobSpec,
  tick: number,
  live: LiveTarget,
  spec: ContainerSpec,
  logPath: string,
): Promise<RunEnd> {
  const request = {
    app: ctx.app,
    release: live.release,
    argv: argvOf(job.command),
    env: envOf(ctx, job, tick, live),
    timeoutMs: job.timeoutMs,
    purpose: { [JOB_LABEL]: job.name },
  };
  // Nothing waits for a job's run but its timeout.
  return runInContainer(
    spec,
    request,
    (_stream, chunk) => appendFileSync(logPath, chunk),
    new AbortController().signal,
  );
}
