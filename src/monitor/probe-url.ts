import { monitoringOf } from '../config/config-values.js';
import type { EnvironmentConfig } from '../config/schema.js';

/**
 * The address users reach an environment at (pure): the configured probe URL, else the edge's port, else the
 * first host's router. A wildcard bind address is reached on loopback when the router runs on this machine.
 */
export function deriveProbeUrl(env: EnvironmentConfig): string {
  const probe = monitoringOf(env).probe;
  if (probe.url) return probe.url;
  const path = probe.path;
  if (env.edge)
    return `http://${reachable(env.edge.host, env.edge.bindAddress)}:${env.edge.publicPort}${path}`;
  const [first = 'local'] = env.hosts;
  return `http://${reachable(first, env.bindAddress)}:${env.publicPort}${path}`;
}

function reachable(host: EnvironmentConfig['hosts'][number], bindAddress: string): string {
  if (host !== 'local') return host.address.includes(':') ? `[${host.address}]` : host.address;
  if (bindAddress === '0.0.0.0' || bindAddress === '::') return '127.0.0.1';
  return bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress;
}
