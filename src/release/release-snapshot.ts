import { parseDurationMs } from '../core/duration.js';
import { SlipwayError } from '../core/errors.js';
import type { ProcessesConfig } from '../config/processes-schema.js';
import type { SlipwayConfig } from '../config/schema.js';
import type { PlannedProcess } from '../plan/worker-steps.js';
import { DEFAULTS } from '../config/defaults.js';
import type { SmokeRequestConfig } from '../config/verify-schema.js';
import type { CronConfig } from '../config/cron-schema.js';
import type { CronJobSpec } from '../agent/cron-protocol.js';
import type { ReleaseRuntime } from '../plan/plan-deploy.js';
import type { ReleaseRecord } from '../store/index.js';

/**
 * What a release runs with, frozen when the release is created: the run command, health check, env and the
 * names (never the values) of secrets, per environment. Where and how it is deployed (hosts, ports, strategy)
 * comes from the slipway.yml of the day instead.
 */
export interface ReleaseSnapshot {
  app: string;
  /** `instances` is recorded only above 1, so that releases made before it compare equal. */
  run: Omit<SlipwayConfig['run'], 'instances'> & { instances?: number };
  healthCheck: SlipwayConfig['healthCheck'];
  env: Record<string, string>;
  secrets: string[];
  environments: Record<
    string,
    {
      env: Record<string, string>;
      secrets: string[];
      /** The environment's smoke suite (present when it has `verify:`): the next release's compatibility check. */
      smoke?: SmokeRequestConfig[];
    }
  >;
  /** Directories linked into the release directory from the host's shared ones (`shared`); absent: none. */
  shared?: string[];
  /** Worker processes (`processes`); absent: none, so releases made before them compare equal. */
  processes?: ProcessesConfig;
  /** Scheduled jobs (`cron`, every environment's); absent: none. */
  cron?: CronConfig;
  /** A `runtime: docker` release: its image and container settings. Absent for processes. */
  runtime?: ImageSnapshot;
}

export interface ImageSnapshot {
  kind: 'docker';
  /** Image id (`sha256:…`) recorded when the release was built. */
  image: string;
  ref: string;
  pull: boolean;
  socket: string;
  memoryBytes: number | null;
  cpus: number | null;
  /** Named volumes, name → mount path (`runtime.volumes`); absent: none. */
  volumes?: Record<string, string>;
  /** Pushed to a registry: the tag, the digest `ref` pins, and who hosts pull as (names only; absent: no login). */
  registry?: {
    server: string;
    tag: string;
    digest: string;
    login: { username: string; passwordSecret: string } | null;
  };
}

export function deriveReleaseSnapshot(config: SlipwayConfig, image?: ImageSnapshot): ReleaseSnapshot {
  return {
    ...(image ? { runtime: image } : {}),
    app: config.app,
    run: deriveRunSnapshot(config.run),
    healthCheck: config.healthCheck,
    env: config.env,
    secrets: config.secrets,
    ...(config.shared.length > 0 ? { shared: config.shared } : {}),
    ...(Object.keys(config.processes).length > 0 ? { processes: config.processes } : {}),
    ...(config.cron.length > 0 ? { cron: config.cron } : {}),
    environments: Object.fromEntries(
      Object.entries(config.environments).map(([name, env]) => [
        name,
        { env: env.env, secrets: env.secrets, ...(env.verify ? { smoke: env.verify.smoke } : {}) },
      ]),
    ),
  };
}

function deriveRunSnapshot(run: SlipwayConfig['run']): ReleaseSnapshot['run'] {
  const { instances, ...rest } = run;
  return instances > 1 ? { ...rest, instances } : rest;
}

const ms = (text: string): number => parseDurationMs(text) ?? 0;

/** The runtime of a stored release in one environment. Pure. */
export function deriveReleaseRuntime(release: ReleaseRecord, environment: string): ReleaseRuntime {
  const snapshot = release.config as ReleaseSnapshot;
  const envOverrides = snapshot.environments[environment];
  if (!envOverrides) {
    throw new SlipwayError(
      `release ${release.version} was created without an environment named ${environment}`,
      {
        hint: 'create a new release after adding the environment to slipway.yml',
      },
    );
  }
  const hc = snapshot.healthCheck;
  return {
    version: release.version,
    sha256: release.sha256,
    artifact: release.artifactPath,
    command: snapshot.run.command,
    env: { ...snapshot.env, ...envOverrides.env },
    secretNames: [...new Set([...snapshot.secrets, ...envOverrides.secrets])],
    ...(snapshot.shared?.length ? { shared: snapshot.shared } : {}),
    ...(snapshot.processes ? { processes: deriveProcesses(snapshot.processes) } : {}),
    ...cronOf(snapshot, environment),
    ...((snapshot.run.instances ?? 1) > 1 ? { instances: snapshot.run.instances } : {}),
    healthCheck: {
      path: hc.path,
      intervalMs: ms(hc.interval),
      timeoutMs: ms(hc.timeout),
      healthyThreshold: hc.healthyThreshold,
      unhealthyThreshold: hc.unhealthyThreshold,
    },
    startTimeoutMs: ms(hc.startTimeout),
    stopTimeoutMs: ms(snapshot.run.stopTimeout),
    restart: {
      initialBackoffMs: ms(DEFAULTS.restart.initialBackoff),
      maxBackoffMs: ms(DEFAULTS.restart.maxBackoff),
    },
    ...(snapshot.runtime
      ? {
          container: {
            image: snapshot.runtime.image,
            ref: snapshot.runtime.ref,
            pull: snapshot.runtime.pull,
            socket: snapshot.runtime.socket,
            memoryBytes: snapshot.runtime.memoryBytes,
            cpus: snapshot.runtime.cpus,
            ...(snapshot.runtime.volumes ? { volumes: snapshot.runtime.volumes } : {}),
            ...(snapshot.runtime.registry?.login
              ? { login: { server: snapshot.runtime.registry.server, ...snapshot.runtime.registry.login } }
              : {}),
          },
        }
      : {}),
  };
}

/** A release's worker processes with units resolved, in name order (so plans list them alike every time). Pure. */
function deriveProcesses(processes: ProcessesConfig): PlannedProcess[] {
  return Object.entries(processes)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, p]) => ({
      name,
      command: p.command,
      instances: p.instances,
      stopTimeoutMs: ms(p.stopTimeout),
      health: {
        settleMs: ms(p.health.settle),
        ...(p.health.command !== undefined
          ? { command: p.health.command, timeoutMs: ms(p.health.timeout) }
          : {}),
      },
      order: p.order,
      ...(p.roles ? { roles: p.roles } : {}),
    }));
}

/** The release's scheduled jobs in one environment, units resolved; `{}` when it has none there. Pure. */
function cronOf(snapshot: ReleaseSnapshot, environment: string): { cron?: CronJobSpec[] } {
  const jobs = (snapshot.cron ?? [])
    .filter((job) => job.environments === undefined || job.environments.includes(environment))
    .map((job): CronJobSpec => ({
      name: job.name,
      schedule: job.schedule,
      timezone: job.timezone,
      command: job.command,
      overlap: job.overlap,
      timeoutMs: ms(job.timeout),
    }));
  return jobs.length > 0 ? { cron: jobs } : {};
}
