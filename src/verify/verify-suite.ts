import { parseDurationMs } from '../core/duration.js';
import { DEFAULTS } from '../config/defaults.js';
import type { SmokeRequestConfig, VerifyConfig } from '../config/verify-schema.js';
import type { FrontDoorEndpoint } from './front-door-endpoint.js';

export type JsonScalar = string | number | boolean | null;

/** A smoke request with units resolved. */
export interface SmokeRequestPlan {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  expect: {
    status: number;
    headers: Record<string, string>;
    body: string[];
    json: Record<string, JsonScalar>;
    withinMs: number;
  };
}

export interface PerformancePlan {
  connections: number;
  durationMs: number;
  paths: string[];
  tolerance: PerformanceTolerance;
}

export interface PerformanceTolerance {
  maxThroughputDrop: number;
  maxP95Increase: number;
  maxP99Increase: number;
  minLatencyIncreaseMs: number;
  maxErrorRate: number;
}

export interface SecurityPlan {
  path: string;
  headers: Record<string, string>;
  forbiddenPaths: string[];
  /** Null: no TLS is checked (an http `baseUrl` and no front door over HTTPS). */
  tls: { minDaysValid: number; minVersion: 'TLSv1.2' | 'TLSv1.3'; caFile: string | null } | null;
  /**
   * The front door's HTTPS endpoint, whose certificate for each name is checked with `tls`'s rules: for an
   * environment with `domains` and `tls` whose `baseUrl` is not https. Absent otherwise (and in older plans).
   */
  frontDoor?: FrontDoorTlsPlan;
  /** Null: ports are not checked. Otherwise every port a host may listen on beyond loopback. */
  allowedPorts: number[] | null;
}

export interface FrontDoorTlsPlan {
  address: string;
  port: number;
  /** The names asked for (SNI), wildcards left out. */
  names: string[];
}

export interface CommandCheckPlan {
  name: string;
  run: string;
  timeoutMs: number;
}

export interface CompatibilityPlan {
  /** The release that served before, whose smoke suite (from its config snapshot) runs against the new one. */
  previousRelease: string | null;
  previousSmoke: SmokeRequestPlan[];
  commands: CommandCheckPlan[];
  /** Where the commands run (the project directory). */
  cwd: string;
}

/** Everything a verification does, as data (part of the plan, printed by `slipway plan`). */
export interface VerifySuitePlan {
  baseUrl: string;
  onFailure: 'keep' | 'rollback';
  smoke: SmokeRequestPlan[];
  performance: PerformancePlan | null;
  security: SecurityPlan | null;
  compatibility: CompatibilityPlan | null;
}

export interface VerifySuiteContext {
  /** The environment's address as users reach it (edge, or first host's router). */
  defaultBaseUrl: string;
  /** The environment's front door (by name), or null without `domains`. */
  frontDoor: FrontDoorEndpoint | null;
  /** Ports the environment itself opens (its routers' and edge's public ports), always allowed. */
  ownPorts: number[];
  previous: { release: string; smoke: SmokeRequestConfig[] } | null;
  projectDir: string;
  resolvePath: (file: string) => string;
}

const ms = (text: string): number => parseDurationMs(text) ?? 0;

/** Resolves a `verify:` section into the suite a verify step runs. Pure. */
export function planVerifySuite(verify: VerifyConfig, ctx: VerifySuiteContext): VerifySuitePlan {
  const baseUrl = (verify.url ?? ctx.defaultBaseUrl).replace(/\/+$/, '');
  const perf = verify.performance;
  const sec = verify.security;
  const compat = verify.compatibility;
  // An https url is the endpoint to check, as given; otherwise the names on the front door, when served over HTTPS.
  const httpsUrl = baseUrl.startsWith('https:');
  const door = ctx.frontDoor;
  const frontDoor: FrontDoorTlsPlan | null =
    !httpsUrl && door?.scheme === 'https'
      ? { address: door.address, port: door.port, names: door.names }
      : null;
  return {
    baseUrl,
    onFailure: verify.onFailure,
    smoke: verify.smoke.map(planSmokeRequest),
    performance: perf
      ? {
          connections: perf.connections,
          durationMs: Math.min(ms(perf.duration), DEFAULTS.verify.maxLoadDurationMs),
          paths: perf.paths,
          tolerance: {
            maxThroughputDrop: perf.maxThroughputDrop,
            maxP95Increase: perf.maxP95Increase,
            maxP99Increase: perf.maxP99Increase,
            minLatencyIncreaseMs: ms(perf.minLatencyIncrease),
            maxErrorRate: perf.maxErrorRate,
          },
        }
      : null,
    security: sec
      ? {
          path: sec.path,
          headers: sec.headers,
          forbiddenPaths: sec.forbiddenPaths,
          tls:
            httpsUrl || frontDoor
              ? {
                  minDaysValid: sec.tls.minDaysValid,
                  minVersion: sec.tls.minVersion,
                  caFile: sec.tls.ca ? ctx.resolvePath(sec.tls.ca) : null,
                }
              : null,
          ...(frontDoor ? { frontDoor } : {}),
          allowedPorts: sec.allowedPorts
            ? [...new Set([...sec.allowedPorts, ...ctx.ownPorts])].sort((a, b) => a - b)
            : null,
        }
      : null,
    compatibility: compat
      ? {
          previousRelease: ctx.previous?.release ?? null,
          previousSmoke: compat.previousSmoke ? (ctx.previous?.smoke ?? []).map(planSmokeRequest) : [],
          commands: compat.commands.map((c) => ({ name: c.name, run: c.run, timeoutMs: ms(c.timeout) })),
          cwd: ctx.projectDir,
        }
      : null,
  };
}

export function planSmokeRequest(r: SmokeRequestConfig): SmokeRequestPlan {
  return {
    name: r.name ?? `${r.method} ${r.path}`,
    method: r.method,
    path: r.path,
    headers: r.headers,
    body: r.body ?? null,
    expect: {
      status: r.expect.status,
      headers: r.expect.headers,
      body: r.expect.body,
      json: r.expect.json,
      withinMs: ms(r.expect.within),
    },
  };
}
