import type { ContainerCreateOptions } from 'dockerode';
import type { ContainerSpec, TargetSpec } from '../agent/protocol.js';
import { targetIdentityEnv } from './target-record.js';

export const LABEL_PREFIX = 'dev.slipway';
export const APP_LABEL = `${LABEL_PREFIX}.app`;
export const RELEASE_LABEL = `${LABEL_PREFIX}.release`;
export const ENVIRONMENT_LABEL = `${LABEL_PREFIX}.environment`;
export const TARGET_LABEL = `${LABEL_PREFIX}.target`;

/** Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]* in container names. */
export function deriveContainerName(targetId: string): string {
  return `slipway-${targetId.replace(/[^a-zA-Z0-9_.-]/g, '_')}`;
}

/**
 * The Docker volume behind a named volume of an environment (`runtime.volumes`): one per app, environment and name
 * on a host, so staging and production of one app on one host never share data. Pure.
 */
export function deriveVolumeName(app: string, environment: string, name: string): string {
  return `slipway_${app}_${environment}_${name}`.replace(/[^a-zA-Z0-9_.-]/g, '_');
}

/** The environment's named volumes as the Docker Engine mounts them. Pure. */
export function deriveVolumeMounts(
  app: string,
  container: ContainerSpec,
): Array<{ Type: 'volume'; Source: string; Target: string }> {
  return Object.entries(container.volumes ?? {}).map(([name, path]) => ({
    Type: 'volume',
    Source: deriveVolumeName(app, container.environment, name),
    Target: path,
  }));
}

/**
 * The container of a target, as data. Pure. The target's command runs through `/bin/sh -c` in the image like a
 * process's does in its release directory; the container listens on $PORT, which is published on the host's
 * loopback only (the router is the way in). An init process (docker-init) is PID 1, so SIGTERM reaches the app.
 */
export function deriveContainerConfig(
  spec: TargetSpec,
  container: ContainerSpec,
  port: number,
): ContainerCreateOptions {
  const env: Record<string, string> = { ...spec.env, ...spec.secretEnv, ...targetIdentityEnv(spec, port) };
  const portKey = `${port}/tcp`;
  // A worker process publishes nothing: it gets no requests.
  const published = spec.process
    ? {}
    : { PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] } };
  return {
    name: deriveContainerName(spec.id),
    Image: container.image,
    Cmd: ['/bin/sh', '-c', spec.command],
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [APP_LABEL]: spec.app,
      [RELEASE_LABEL]: spec.release,
      [ENVIRONMENT_LABEL]: container.environment,
      [TARGET_LABEL]: spec.id,
    },
    ...(spec.process ? {} : { ExposedPorts: { [portKey]: {} } }),
    StopTimeout: Math.max(1, Math.ceil(spec.stopTimeoutMs / 1000)),
    HostConfig: {
      ...published,
      Init: true,
      RestartPolicy: { Name: 'no' },
      ...(container.volumes ? { Mounts: deriveVolumeMounts(spec.app, container) } : {}),
      ...(container.memoryBytes !== null ? { Memory: container.memoryBytes } : {}),
      ...(container.cpus !== null ? { NanoCpus: Math.round(container.cpus * 1e9) } : {}),
    },
  };
}
