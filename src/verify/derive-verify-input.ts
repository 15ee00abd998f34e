import { isAbsolute, resolve } from 'node:path';
import type { SmokeRequestConfig } from '../config/verify-schema.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { hostName } from '../config/config-values.js';
import type { ReleaseSnapshot } from '../release/release-snapshot.js';
import type { ReleaseRecord } from '../store/index.js';
import { deriveFrontDoorEndpoint, reachableAddress } from './front-door-endpoint.js';
import { planVerifySuite, type VerifySuitePlan } from './verify-suite.js';

/** Where users reach the environment: the edge, else the first host's router (loopback for `local`). */
export function deriveEnvironmentUrl(env: EnvironmentConfig): string {
  const bracket = (a: string): string => (a.includes(':') ? `[${a}]` : a);
  if (env.edge)
    return `http://${bracket(reachableAddress(env.edge.host, env.edge.bindAddress))}:${env.edge.publicPort}`;
  const first = env.hosts[0] ?? 'local';
  return `http://${bracket(reachableAddress(first, env.bindAddress))}:${env.publicPort}`;
}

/** The smoke suite a stored release was created with for an environment (empty for older releases). */
export function smokeOfRelease(release: ReleaseRecord, environment: string): SmokeRequestConfig[] {
  const snapshot = release.config as Partial<ReleaseSnapshot>;
  return snapshot.environments?.[environment]?.smoke ?? [];
}

/**
 * The verify step's input for a deploy to `environment`, or null when it has no `verify:`. `previous` is the
 * release serving before the deploy: its smoke suite becomes the compatibility check.
 */
export function deriveVerifyInput(
  env: EnvironmentConfig,
  environment: string,
  previous: ReleaseRecord | undefined,
  projectDir: string,
): { hosts: string[]; suite: VerifySuitePlan } | null {
  if (!env.verify) return null;
  const suite = planVerifySuite(env.verify, {
    defaultBaseUrl: deriveEnvironmentUrl(env),
    frontDoor: deriveFrontDoorEndpoint(env),
    ownPorts: [env.publicPort, ...(env.edge ? [env.edge.publicPort] : [])],
    previous: previous ? { release: previous.version, smoke: smokeOfRelease(previous, environment) } : null,
    projectDir,
    resolvePath: (file) => (isAbsolute(file) ? file : resolve(projectDir, file)),
  });
  return { hosts: env.hosts.map(hostName), suite };
}
