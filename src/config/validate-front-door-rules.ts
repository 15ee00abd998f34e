import { parseDurationMs } from '../core/duration.js';
import { hostName } from './config-values.js';
import { frontDoorHostsOf, frontDoorOf } from './config-values-front-door.js';
import type { KeyPath, PathIssue } from './path-issue.js';
import type { EnvironmentConfig, SlipwayConfig } from './schema.js';

/** hstspreload.org's least max-age for a preload listing: one year. */
const PRELOAD_MIN_MAX_AGE_MS = 365 * 86_400_000;

/**
 * The front door's rules across keys (issue 16): what `domains`, `pathPrefix`, `frontDoor` and `tls` need of each
 * other within an environment, and what environments sharing a host's front door must agree on. Pure: no file is
 * read (a certificate's names are checked at deploy time, when its files are).
 */
export function validateFrontDoorRules(config: SlipwayConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const [name, env] of Object.entries(config.environments)) issues.push(...checkEnvironment(name, env));
  issues.push(...checkSharedFrontDoors(config));
  return issues;
}

function envPath(name: string, ...rest: (string | number)[]): KeyPath {
  return ['environments', name, ...rest];
}

/** Within one environment: what needs `domains`, one TLS source, ACME's names, HSTS preload, duplicate names. */
function checkEnvironment(name: string, env: EnvironmentConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  if (env.domains === undefined) {
    const needsDomains: [key: 'tls' | 'pathPrefix' | 'frontDoor', why: string][] = [
      ['tls', 'a certificate is for names'],
      ['pathPrefix', 'it narrows the routes of domains on the front door'],
      ['frontDoor', 'the front door serves only environments with domains'],
    ];
    for (const [key, why] of needsDomains) {
      if (env[key] === undefined) continue;
      issues.push({
        path: envPath(name, key),
        at: 'key',
        message: `${key} needs domains (${why}), and environments.${name} has none: add domains: [shop.example.com, …] or remove ${key}`,
      });
    }
    return issues;
  }

  const seen = new Set<string>();
  env.domains.forEach((domain, index) => {
    if (seen.has(domain)) {
      issues.push({
        path: envPath(name, 'domains', index),
        at: 'value',
        message: `"${domain}" is listed twice in environments.${name}.domains`,
      });
    }
    seen.add(domain);
  });

  const tls = env.tls;
  if (tls === undefined) return issues;
  if (tls.certificates === undefined && tls.acme === undefined) {
    issues.push({
      path: envPath(name, 'tls'),
      at: 'key',
      message:
        'tls needs a source of certificates: certificates: [{ cert: …, key: … }] (files) or acme: { email: … } (automatic)',
    });
  } else if (tls.certificates !== undefined && tls.acme !== undefined) {
    issues.push({
      path: envPath(name, 'tls', 'acme'),
      at: 'key',
      message: 'give either tls.certificates (files) or tls.acme (automatic), not both: remove one of them',
    });
  }
  if (tls.acme !== undefined) {
    env.domains.forEach((domain, index) => {
      if (!domain.startsWith('*.')) return;
      issues.push({
        path: envPath(name, 'domains', index),
        at: 'value',
        message: `"${domain}" cannot be obtained with tls.acme: a CA issues a wildcard only after a DNS-01 challenge, which Slipway does not answer (it answers HTTP-01 and TLS-ALPN-01); serve it with tls.certificates, or list the names one by one`,
      });
    });
  }
  if (tls.hsts !== undefined) {
    const maxAgeMs = parseDurationMs(tls.hsts.maxAge) ?? 0;
    if (maxAgeMs % 1000 !== 0) {
      issues.push({
        path: envPath(name, 'tls', 'hsts', 'maxAge'),
        at: 'value',
        message: `tls.hsts.maxAge is sent in whole seconds: write "${Math.floor(maxAgeMs / 1000)}s" or a longer duration`,
      });
    }
    if (tls.hsts.preload && (!tls.hsts.includeSubDomains || maxAgeMs < PRELOAD_MIN_MAX_AGE_MS)) {
      issues.push({
        path: envPath(name, 'tls', 'hsts', 'preload'),
        at: 'value',
        message:
          'tls.hsts.preload needs includeSubDomains: true and a maxAge of at least 365d (what browsers’ preload lists require)',
      });
    }
  }
  return issues;
}

/** One environment's claim on a host's front door. */
interface Claim {
  environment: string;
  env: EnvironmentConfig;
}

/**
 * Environments whose front door is on one host (edge host, or each host without an edge): one host has one front
 * door, so they give it the same ports and address; no two answer to the same name with the same path prefix (an
 * exact name beside a wildcard covering it is fine: the exact one wins); and its ports are no router's, edge's or
 * metrics port on that host.
 */
function checkSharedFrontDoors(config: SlipwayConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  const byHost = new Map<string, Claim[]>();
  for (const [environment, env] of Object.entries(config.environments)) {
    for (const host of frontDoorHostsOf(env)) {
      const claims = byHost.get(host) ?? [];
      claims.push({ environment, env });
      byHost.set(host, claims);
    }
  }
  // One issue per key: an environment on several shared hosts is reported at its first.
  const reported = new Set<string>();
  const report = (issue: PathIssue) => {
    const key = JSON.stringify(issue.path);
    if (reported.has(key)) return;
    reported.add(key);
    issues.push(issue);
  };

  for (const [host, claims] of byHost) {
    const first = claims[0];
    if (first === undefined) continue;
    const firstDoor = frontDoorOf(first.env);
    for (const claim of claims.slice(1)) {
      const door = frontDoorOf(claim.env);
      if (firstDoor === null || door === null || sameDoor(firstDoor, door)) continue;
      report({
        path: claim.env.frontDoor
          ? envPath(claim.environment, 'frontDoor')
          : envPath(claim.environment, 'domains'),
        at: 'key',
        message: `environment "${claim.environment}" gives host "${host}"'s front door ${describeDoor(door)}, but environment "${first.environment}" gives it ${describeDoor(firstDoor)}; a host has one front door: give both the same frontDoor`,
      });
    }

    const owners = new Map<string, string>();
    for (const { environment, env } of claims) {
      const prefix = env.pathPrefix ?? '/';
      (env.domains ?? []).forEach((domain, index) => {
        const slot = `${domain} ${prefix}`;
        const owner = owners.get(slot);
        if (owner === undefined) {
          owners.set(slot, environment);
          return;
        }
        if (owner === environment) return; // a duplicate within one environment, reported above
        const where = prefix === '/' ? `"${domain}"` : `"${domain}" with pathPrefix ${prefix}`;
        report({
          path: envPath(environment, 'domains', index),
          at: 'value',
          message: `environments "${owner}" and "${environment}" both answer to ${where} on host "${host}"; give one of them another name or pathPrefix`,
        });
      });
    }

    checkPortsOnHost(config, host, claims, report);
  }
  return issues;
}

function sameDoor(a: { httpPort: number; httpsPort: number; bindAddress: string }, b: typeof a): boolean {
  return a.httpPort === b.httpPort && a.httpsPort === b.httpsPort && a.bindAddress === b.bindAddress;
}

function describeDoor(door: { httpPort: number; httpsPort: number; bindAddress: string }): string {
  return `ports ${door.httpPort}/${door.httpsPort} on ${door.bindAddress}`;
}

/** The front door's ports against the other listeners of the same host: routers, an edge, metrics. */
function checkPortsOnHost(
  config: SlipwayConfig,
  host: string,
  claims: Claim[],
  report: (issue: PathIssue) => void,
): void {
  const taken = new Map<number, string>();
  for (const [name, env] of Object.entries(config.environments)) {
    if (env.hosts.some((h) => hostName(h) === host)) {
      taken.set(env.publicPort, `the publicPort of environment "${name}"`);
      if (env.metricsPort !== undefined)
        taken.set(env.metricsPort, `the metricsPort of environment "${name}"`);
    }
    if (env.edge && hostName(env.edge.host) === host)
      taken.set(env.edge.publicPort, `the edge publicPort of environment "${name}"`);
  }
  for (const { environment, env } of claims) {
    const door = frontDoorOf(env);
    if (door === null) continue;
    const ports: ['httpPort' | 'httpsPort', number][] = [['httpPort', door.httpPort]];
    if (env.tls !== undefined) ports.push(['httpsPort', door.httpsPort]);
    for (const [key, port] of ports) {
      const owner = taken.get(port);
      if (owner === undefined) continue;
      report({
        path: env.frontDoor ? envPath(environment, 'frontDoor', key) : envPath(environment, 'domains'),
        at: env.frontDoor ? 'value' : 'key',
        message: `the front door's ${key} ${port} on host "${host}" is also ${owner}; give one of them another port${env.frontDoor ? '' : ` (the front door's default is ${key === 'httpPort' ? 80 : 443}: set frontDoor.${key})`}`,
      });
    }
  }
}
