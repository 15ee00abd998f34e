import { SlipwayError } from '../core/errors.js';
import { environmentConfig } from '../config/environment-config.js';
import { hostName } from '../config/config-values.js';
import type { SlipwayConfig } from '../config/schema.js';
import type { Host } from './host.js';

/** The hosts of an environment, in the order slipway.yml lists them. */
export function hostsOf(
  cp: { config: SlipwayConfig; hosts: ReadonlyMap<string, Host> },
  environment: string,
): Host[] {
  return environmentConfig(cp.config, environment)
    .hosts.map(hostName)
    .map((name) => {
      const host = cp.hosts.get(name);
      if (!host) throw new SlipwayError(`host ${name} of ${environment} is not configured`);
      return host;
    });
}
