import { SlipwayError } from '../core/errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { frontDoorHostsOf, frontDoorOf } from '../config/config-values-front-door.js';
import { environmentConfig } from '../config/environment-config.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { checkHost, type CheckRow } from '../hosts/check-host.js';
import { checkLocalHost } from '../hosts/check-local-host.js';
import { LocalHost } from '../hosts/local-host.js';
import { SshHost } from '../hosts/ssh-host.js';
import { AGENT_VERSION } from '../agent/version.js';
import type { ControlPlane } from './control-plane.js';

/**
 * Checks every SSH host of an environment in parallel, with its front door's ports when its `domains` are served
 * there. The local host is checked only when asked (`slipway check`): its ports, as a deploy finds them anyway.
 */
export async function runPreflight(
  cp: Pick<ControlPlane, 'config' | 'hosts'>,
  env: string,
  options: { local?: boolean } = {},
): Promise<Array<{ host: string; rows: CheckRow[] }>> {
  const config = environmentConfig(cp.config, env);
  const door = frontDoorOf(config);
  const doorHosts = new Set(frontDoorHostsOf(config));
  const frontDoorOn = (host: string) => (door !== null && doorHosts.has(host) ? door : null);
  return Promise.all(
    hostsOf(cp, env).flatMap((host) => {
      if (host instanceof SshHost)
        return [
          (async () => ({
            host: host.name,
            rows: await checkHost(host, {
              publicPort: config.publicPort,
              frontDoor: frontDoorOn(host.name),
              requiredDiskBytes: DEFAULTS.preflight.requiredDiskBytes,
              minMemoryBytes: DEFAULTS.preflight.minMemoryBytes,
              controlPlaneNowMs: () => Date.now(),
              agentVersion: AGENT_VERSION,
              nodeArch: process.arch,
              environment: env,
            }),
          }))(),
        ];
      if (host instanceof LocalHost && options.local)
        return [
          (async () => ({
            host: host.name,
            rows: await checkLocalHost(host, {
              publicPort: config.publicPort,
              frontDoor: frontDoorOn(host.name),
              environment: env,
            }),
          }))(),
        ];
      return [];
    }),
  );
}

/** Throws when any host failed a check, naming the hosts and the hints. */
export function refuseFailedPreflight(results: Array<{ host: string; rows: CheckRow[] }>): void {
  const failed = results.filter((r) => r.rows.some((row) => row.status === 'fail'));
  if (failed.length === 0) return;
  const hints = [
    ...new Set(
      failed.flatMap((r) => r.rows.flatMap((row) => (row.status === 'fail' && row.hint ? [row.hint] : []))),
    ),
  ];
  throw new SlipwayError(
    `preflight failed on ${failed.map((r) => r.host).join(', ')}: ${failed.flatMap((r) => r.rows.filter((row) => row.status === 'fail').map((row) => `${r.host} ${row.check}: ${row.detail}`)).join('; ')}`,
    hints.length ? { hint: hints.join('; ') } : undefined,
  );
}
