import { isAbsolute, join } from 'node:path';
import { parseDurationMs } from '../core/duration.js';
import { hostName } from './config-values.js';
import { DEFAULTS } from './defaults.js';
import type { EdgeConfig } from './edge-schema.js';
import type {
  AcmeConfig,
  CertificateFilesConfig,
  FrontDoorConfig,
  HstsConfig,
  TlsConfig,
} from './front-door-schema.js';
import type { HostConfig } from './host-schema.js';

// Pure readings of an environment's front door keys (issue 16) for the planner and the agent, without the schemas
// (like config-values.ts). What a config says; nothing here opens a port or reads a file.

/** The keys of an environment these readings look at. */
export interface FrontDoorEnvironment {
  hosts: readonly HostConfig[];
  edge?: EdgeConfig | undefined;
  domains?: readonly string[] | undefined;
  pathPrefix?: string | undefined;
  frontDoor?: FrontDoorConfig | undefined;
  tls?: TlsConfig | undefined;
}

/** The front door's ports with every default, or null when the environment has no `domains` (no front door). */
export function frontDoorOf(env: FrontDoorEnvironment): FrontDoorConfig | null {
  if (env.domains === undefined) return null;
  return env.frontDoor ?? { ...DEFAULTS.frontDoor };
}

/**
 * The hosts (by name) whose front door serves the environment's names: the edge's host when it has an edge (users
 * reach the fleet there), else each of its hosts. Empty when it has no `domains`.
 */
export function frontDoorHostsOf(env: FrontDoorEnvironment): string[] {
  if (env.domains === undefined) return [];
  if (env.edge) return [hostName(env.edge.host)];
  return [...new Set(env.hosts.map(hostName))];
}

/** What the front door routes to one environment: its names and its path prefix. */
export interface EnvironmentRoute {
  app: string;
  environment: string;
  /** As written (lower case, validated), `*.example.com` wildcards included, each once. */
  names: string[];
  /** `/` when none is given. */
  pathPrefix: string;
  /** The hosts whose front door carries the route (frontDoorHostsOf). */
  hosts: string[];
  frontDoor: FrontDoorConfig;
}

/** The route of an environment on its hosts' front door, or null when it has no `domains`. Pure. */
export function routeOf(
  app: string,
  environment: string,
  env: FrontDoorEnvironment,
): EnvironmentRoute | null {
  const frontDoor = frontDoorOf(env);
  if (env.domains === undefined || frontDoor === null) return null;
  return {
    app,
    environment,
    names: [...new Set(env.domains)],
    pathPrefix: env.pathPrefix ?? '/',
    hosts: frontDoorHostsOf(env),
    frontDoor,
  };
}

/** The routes of every environment of a config that has `domains`, in the order of the file. Pure. */
export function routesOf(config: {
  app: string;
  environments: Readonly<Record<string, FrontDoorEnvironment>>;
}): EnvironmentRoute[] {
  return Object.entries(config.environments).flatMap(([name, env]) => {
    const route = routeOf(config.app, name, env);
    return route === null ? [] : [route];
  });
}

/** HSTS as the router takes it (`HstsOptions` of src/router/tls/https-redirect.ts): max-age in whole seconds. */
export interface HstsSettings {
  maxAgeS: number;
  includeSubDomains: boolean;
  preload: boolean;
}

/** How an environment's names are served. */
export type TlsMode =
  | { mode: 'none' }
  | {
      mode: 'files';
      certificates: CertificateFilesConfig[];
      redirect: boolean;
      hsts: HstsSettings | null;
    }
  | { mode: 'acme'; acme: AcmeConfig; redirect: boolean; hsts: HstsSettings | null };

/**
 * An environment's TLS mode: `none` (no `tls`: plain HTTP, or no `domains` at all), `files` (tls.certificates) or
 * `acme` (tls.acme), with the redirect and HSTS settings. Pure; on a config that passed the rules exactly one of
 * certificates and acme is there.
 */
export function tlsModeOf(env: FrontDoorEnvironment): TlsMode {
  const tls = env.tls;
  if (tls === undefined || env.domains === undefined) return { mode: 'none' };
  const hsts = tls.hsts === undefined ? null : hstsSettingsOf(tls.hsts);
  if (tls.acme !== undefined) return { mode: 'acme', acme: tls.acme, redirect: tls.redirect, hsts };
  return { mode: 'files', certificates: tls.certificates ?? [], redirect: tls.redirect, hsts };
}

export function hstsSettingsOf(hsts: HstsConfig): HstsSettings {
  return {
    maxAgeS: Math.floor((parseDurationMs(hsts.maxAge) ?? 0) / 1000),
    includeSubDomains: hsts.includeSubDomains,
    preload: hsts.preload,
  };
}

/**
 * A file path from slipway.yml (a certificate, a key, a CA bundle) on the machine that runs slipway: `~/…` under
 * `homeDir`, an absolute path as it is, anything else relative to `projectDir` (the directory of slipway.yml).
 * Pure: nothing is looked up.
 */
export function resolveConfigPath(text: string, projectDir: string, homeDir: string): string {
  if (text === '~') return homeDir;
  if (text.startsWith('~/')) return join(homeDir, text.slice(2));
  return isAbsolute(text) ? text : join(projectDir, text);
}

/**
 * The key of an environment's route on its hosts (the router process's routes.json and every route call): the
 * app's name, as always, for an environment without `domains`; `<app>@<environment>` for one with them, so that
 * two environments of one app (staging and production) can share a host and its front door. Pure.
 */
export function routeKeyOf(app: string, environment: string, env: FrontDoorEnvironment): string {
  return env.domains === undefined ? app : `${app}@${environment}`;
}

/**
 * How the hosts' state is read for one environment: its route's key, and the prefix of its targets' ids
 * (`<app>_<environment>` with domains, so the targets of two environments of one app on a host stay apart).
 */
export function routeSelectorOf(
  app: string,
  environment: string,
  env: FrontDoorEnvironment & { publicPort?: number },
): RouteSelector {
  const withDomains = { key: `${app}@${environment}`, targetPrefix: `${app}_${environment}` };
  const without = { key: app, targetPrefix: app };
  const [now, before] = env.domains === undefined ? [without, withDomains] : [withDomains, without];
  return {
    ...now,
    ...(env.publicPort === undefined ? {} : { before: { ...before, publicPort: env.publicPort } }),
  };
}

/**
 * Which route and targets of a host are an environment's. `before`: the key it had with (or without) `domains`,
 * read while the host still has the route under that key on the same port (the next ensure-route re-keys it).
 */
export interface RouteSelector {
  key: string;
  targetPrefix: string;
  before?: { key: string; targetPrefix: string; publicPort: number };
}

/**
 * An environment's route among a host's routes, and the prefixes of its targets' ids: under its key; or, while the
 * host still has it under the key it had before the environment gained (or dropped) `domains`, on the same port,
 * under that one (`keyChanged`: the next ensure-route re-keys it), whose targets have the ids from before too.
 * Pure.
 */
export function findEnvironmentRoute<R extends { app: string; publicPort: number }>(
  routes: readonly R[],
  selector: RouteSelector,
): { route: R | null; keyChanged: boolean; targetPrefixes: string[] } {
  const route = routes.find((r) => r.app === selector.key);
  const before = selector.before;
  const old =
    route === undefined && before
      ? routes.find((r) => r.app === before.key && r.publicPort === before.publicPort)
      : undefined;
  if (old !== undefined && before !== undefined)
    return { route: old, keyChanged: true, targetPrefixes: [selector.targetPrefix, before.targetPrefix] };
  return { route: route ?? null, keyChanged: false, targetPrefixes: [selector.targetPrefix] };
}

/**
 * Whether a target id is of the given prefix: `<prefix>-…`; for the app's own name (an environment without
 * domains), every id that is not another environment's (`<app>_<environment>-…`). Pure.
 */
export function hasTargetPrefix(id: string, app: string, prefix: string): boolean {
  return prefix === app ? !id.startsWith(`${app}_`) : id.startsWith(`${prefix}-`);
}

/**
 * Whether the control plane obtains the environment's ACME certificate (the `obtain-certificate` step): `tls.acme`
 * on several hosts and no edge, so one certificate serves every host's front door. Pure.
 */
export function holdsSharedCertificate(env: FrontDoorEnvironment): boolean {
  return tlsModeOf(env).mode === 'acme' && env.edge === undefined && env.hosts.length > 1;
}
