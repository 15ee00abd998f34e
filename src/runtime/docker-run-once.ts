import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerCreateOptions } from 'dockerode';
import type { ContainerSpec } from '../agent/protocol.js';
import { SlipwayError } from '../core/errors.js';
import { connectDocker } from './docker-connect.js';
import {
  APP_LABEL,
  deriveVolumeMounts,
  ENVIRONMENT_LABEL,
  RELEASE_LABEL,
  LABEL_PREFIX,
} from './container-config.js';

/** Marks a one-off container (`slipway run`), never a target: nothing adopts or restarts it. */
export const RUN_LABEL = `${LABEL_PREFIX}.run`;

export interface ContainerRunRequest {
  app: string;
  release: string;
  argv: string[];
  /** The whole environment of the command, secrets included. */
  env: Record<string, string>;
  timeoutMs: number;
  /** What the container is for, as its label (default `dev.slipway.run=true`: `slipway run`). */
  purpose?: Record<string, string>;
}

export interface ContainerRunResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}

/**
 * A one-off container of the release image, as data: the argv as its command (no shell), the image's working
 * directory, the environment's volumes and limits, no published port, no restart. Pure.
 */
export function deriveRunContainerConfig(
  request: ContainerRunRequest,
  container: ContainerSpec,
): ContainerCreateOptions {
  return {
    Image: container.image,
    Cmd: request.argv,
    Env: Object.entries(request.env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [APP_LABEL]: request.app,
      [RELEASE_LABEL]: request.release,
      [ENVIRONMENT_LABEL]: container.environment,
      ...(request.purpose ?? { [RUN_LABEL]: 'true' }),
    },
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      Init: true,
      RestartPolicy: { Name: 'no' },
      ...(container.volumes ? { Mounts: deriveVolumeMounts(request.app, container) } : {}),
      ...(container.memoryBytes !== null ? { Memory: container.memoryBytes } : {}),
      ...(container.cpus !== null ? { NanoCpus: Math.round(container.cpus * 1e9) } : {}),
    },
  };
}

/**
 * Runs a one-off command in a new container of the release image and streams what it prints as chunks (`slipway
 * run`, a scheduled job's run). The timeout or `signal` (the client went away) kills it, and it then ended by
 * SIGKILL, with no exit code, as a killed process does; the container is removed however it ends.
 */
export async function runInContainer(
  container: ContainerSpec,
  request: ContainerRunRequest,
  onChunk: (stream: 'out' | 'err', chunk: Buffer) => void,
  signal: AbortSignal,
): Promise<ContainerRunResult> {
  const docker = await connectDocker(container.socket);
  let created: Docker.Container;
  try {
    created = await docker.createContainer(deriveRunContainerConfig(request, container));
  } catch (err) {
    throw new SlipwayError(
      `could not create a container of ${container.image.slice(0, 19)}: ${String(err)}`,
      {
        cause: err,
        hint: `is the image on the host and the Docker Engine at ${container.socket} running?`,
      },
    );
  }
  const started = performance.now();
  let timedOut = false;
  const kill = (): void => void created.kill().catch(() => undefined);
  try {
    const stream = await created.attach({ stream: true, stdout: true, stderr: true });
    const sink = (name: 'out' | 'err'): PassThrough => {
      const pass = new PassThrough();
      pass.on('data', (chunk: Buffer) => onChunk(name, chunk));
      return pass;
    };
    docker.modem.demuxStream(stream, sink('out'), sink('err'));
    const ended = new Promise<void>((resolve) => stream.once('end', resolve).once('close', resolve));
    await created.start();
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, request.timeoutMs);
    signal.addEventListener('abort', kill, { once: true });
    try {
      const { StatusCode } = (await created.wait()) as { StatusCode: number };
      await Promise.race([ended, new Promise((r) => setTimeout(r, 1000))]); // the last output
      return {
        exitCode: timedOut ? null : StatusCode,
        signal: timedOut ? 'SIGKILL' : null,
        timedOut,
        durationMs: Math.round(performance.now() - started),
      };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
    }
  } finally {
    await created.remove({ force: true }).catch(() => undefined);
  }
}
