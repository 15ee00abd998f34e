import { frontDoorOf, tlsModeOf, type FrontDoorEnvironment } from '../config/config-values-front-door.js';
import type { HostConfig } from '../config/host-schema.js';

// Where the control plane reaches an environment's names (issue 16): the front door of the host that serves them,
// by name. The access probe (src/monitor/probe-target.ts) and verify.security.tls (verify-suite.ts) check there.

/** An environment's front door as the control plane reaches it. */
export interface FrontDoorEndpoint {
  /** `https` when the environment has `tls`, else `http` (the names are served over plain HTTP). */
  scheme: 'http' | 'https';
  /** The front door host's address to connect to (an IPv6 address without brackets). */
  address: string;
  /** `frontDoor.httpsPort` for https, `frontDoor.httpPort` for http. */
  port: number;
  /** The names to ask for (SNI and Host), wildcards left out, in the order of `domains`. */
  names: string[];
  /** `/` when none is given. */
  pathPrefix: string;
}

/**
 * The environment's front door (pure), or null when it has no `domains` or only wildcards (a wildcard is no name a
 * client can ask for). The host is the edge's when there is an edge, else the first host, as for the plain address.
 */
export function deriveFrontDoorEndpoint(env: FrontDoorEnvironment): FrontDoorEndpoint | null {
  const door = frontDoorOf(env);
  if (door === null || env.domains === undefined) return null;
  const names = [...new Set(env.domains.filter((name) => !name.startsWith('*.')))];
  if (names.length === 0) return null;
  const https = tlsModeOf(env).mode !== 'none';
  const host = env.edge ? env.edge.host : (env.hosts[0] ?? 'local');
  return {
    scheme: https ? 'https' : 'http',
    address: reachableAddress(host, door.bindAddress),
    port: https ? door.httpsPort : door.httpPort,
    names,
    pathPrefix: env.pathPrefix ?? '/',
  };
}

/**
 * How the control plane reaches a listener of `host` bound to `bindAddress` (pure): an SSH host at its `address`;
 * `local` at the bind address, or loopback when it listens on every interface.
 */
export function reachableAddress(host: HostConfig, bindAddress: string): string {
  if (host !== 'local') return host.address;
  return bindAddress === '0.0.0.0' || bindAddress === '::' ? '127.0.0.1' : bindAddress;
}

/** `https://shop.example.com:8443/` — the URL of one name on the front door, the port left out when default. */
export function frontDoorUrl(door: FrontDoorEndpoint, name: string, path: string): string {
  const defaultPort = door.scheme === 'https' ? 443 : 80;
  return `${door.scheme}://${name}${door.port === defaultPort ? '' : `:${door.port}`}${path}`;
}

/**
 * A path under the environment's prefix (pure): the front door sends only `prefix` and `prefix/…` to the
 * environment, and the app receives the path unchanged, so `/healthz` under `/api` is `/api/healthz`.
 */
export function pathUnderPrefix(prefix: string, path: string): string {
  if (prefix === '/' || path === prefix || path.startsWith(`${prefix}/`)) return path;
  return `${prefix}${path}`;
}
