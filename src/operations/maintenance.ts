import { randomBytes } from 'node:crypto';
import type { MaintenanceStatus } from '../agent/maintenance-method.js';
import { edgeRouteKey } from '../agent/protocol.js';
import { hostName } from '../config/config-values.js';
import { routeKeyOf } from '../config/config-values-front-door.js';
import { environmentConfig } from '../config/environment-config.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { parseDurationMs } from '../core/duration.js';
import { AgentError, InputError } from '../core/errors.js';
import { AgentNotRunningError } from '../hosts/ssh-errors.js';
import type { MaintenanceSpec } from '../router/maintenance.js';
import { deriveMaintenanceStatus, type MaintenanceView } from './derive-maintenance-status.js';

export const DEFAULT_MAINTENANCE_MESSAGE = 'We are doing some maintenance and will be back shortly.';
export const DEFAULT_RETRY_AFTER = '5m';
const MAX_MESSAGE_CHARS = 2_000;
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** Where an environment's maintenance mode is set: its edge's route first (users meet it first), then each host's. */
export interface MaintenanceTarget {
  host: string;
  key: string;
  edge: boolean;
}

/** What one host did: its maintenance before and after, or why it could not be asked. */
export type HostMaintenance = MaintenanceTarget &
  (
    | { ok: true; previous: MaintenanceStatus | null; current: MaintenanceStatus | null }
    | { ok: false; error: string; hint?: string }
  );

export interface MaintenanceOutcome {
  environment: string;
  on: boolean;
  /** The testers' bypass token (on only): printed once, never ledgered. */
  token: string | null;
  hosts: HostMaintenance[];
}

export type MaintenanceRequest =
  { on: true; message?: string | undefined; retryAfter?: string | undefined } | { on: false };

/** The edge's route (when the environment has an edge), then each host's route, in slipway.yml's order. Pure. */
export function planMaintenanceTargets(
  app: string,
  environment: string,
  env: EnvironmentConfig,
): MaintenanceTarget[] {
  const key = routeKeyOf(app, environment, env);
  const edge = env.edge ? [{ host: hostName(env.edge.host), key: edgeRouteKey(key), edge: true }] : [];
  return [...edge, ...env.hosts.map((h) => ({ host: hostName(h), key, edge: false }))];
}

/** `--message` and `--retry-after` checked: bad input names the option and the fix (exit 2). Pure. */
export function parseMaintenanceInput(input: {
  message?: string | undefined;
  retryAfter?: string | undefined;
}): {
  message: string;
  retryAfterS: number;
} {
  const message = input.message === undefined ? DEFAULT_MAINTENANCE_MESSAGE : input.message.trim();
  if (message === '')
    throw new InputError('--message is empty', { hint: 'leave it out for the default message' });
  if (message.length > MAX_MESSAGE_CHARS)
    throw new InputError(`--message has ${message.length} characters; at most ${MAX_MESSAGE_CHARS}`);
  const text = input.retryAfter ?? DEFAULT_RETRY_AFTER;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms > MAX_RETRY_AFTER_MS)
    throw new InputError(`--retry-after "${text}" is not a duration of at most 24h`, {
      hint: 'e.g. --retry-after 30s, 5m or 2h (sent to clients as Retry-After, in seconds)',
    });
  return { message, retryAfterS: Math.ceil(ms / 1000) };
}

/**
 * `slipway maintenance on|off <env>`: every route of the environment (its edge's, then each host's; off in the
 * reverse order) answers 503 with the message, or serves again. Each host saves it before it answers. Every host
 * is asked even when one fails (the outcome says which); ledgered as `maintenance.on` / `maintenance.off` with the
 * hosts that changed, never with the token. Takes no deploy lock and is not stopped by a freeze: it is the lever
 * for when something is wrong, and a deploy meanwhile keeps it on (it is route state, not a target's).
 */
export async function setMaintenance(
  cp: ControlPlane,
  environment: string,
  request: MaintenanceRequest,
  options: { targets?: MaintenanceTarget[]; reason?: string } = {},
): Promise<MaintenanceOutcome> {
  const env = environmentConfig(cp.config, environment);
  const input = request.on ? parseMaintenanceInput(request) : null;
  const all = options.targets ?? planMaintenanceTargets(cp.config.app, environment, env);
  const targets = request.on ? all : [...all].reverse();
  const token = request.on ? randomBytes(18).toString('base64url') : null;
  const spec: MaintenanceSpec | null =
    input === null
      ? null
      : {
          ...input,
          healthPath: cp.config.healthCheck.path,
          bypassToken: token,
          sinceMs: cp.clock.nowMs(),
          by: cp.actor,
        };
  const hosts: HostMaintenance[] = [];
  for (const target of targets) hosts.push(await applyOn(cp, environment, target, spec));
  const changed = hosts.filter((h) => h.ok).map(where);
  const failed = hosts.flatMap((h) => (h.ok ? [] : [{ host: where(h), error: h.error }]));
  if (changed.length > 0)
    await cp.store.appendEvent({
      atMs: cp.clock.nowMs(),
      actor: cp.actor,
      app: cp.config.app,
      environment,
      kind: spec ? 'maintenance.on' : 'maintenance.off',
      message:
        (spec
          ? `maintenance of ${environment} on at ${changed.join(', ')}: "${spec.message}" (Retry-After ${spec.retryAfterS} s)`
          : `maintenance of ${environment} off at ${changed.join(', ')}`) +
        (options.reason ? `; ${options.reason}` : '') +
        (failed.length > 0 ? `; not changed at ${failed.map((f) => f.host).join(', ')}` : ''),
      data: {
        hosts: changed,
        failed,
        ...(spec
          ? { message: spec.message, retryAfterS: spec.retryAfterS, healthPath: spec.healthPath }
          : {}),
        ...(options.reason ? { reason: options.reason } : {}),
      },
    });
  return { environment, on: spec !== null, token, hosts };
}

/** A host's name as messages give it: `edge <host>` for an edge's route. */
export function where(t: MaintenanceTarget): string {
  return t.edge ? `edge ${t.host}` : t.host;
}

async function applyOn(
  cp: ControlPlane,
  environment: string,
  target: MaintenanceTarget,
  spec: MaintenanceSpec | null,
): Promise<HostMaintenance> {
  const host = cp.hosts.get(target.host);
  if (host === undefined) return { ...target, ok: false, error: `host ${target.host} is not configured` };
  try {
    const agent = await host.agent();
    const result = await agent.call('setMaintenance', { key: target.key, maintenance: spec });
    return { ...target, ok: true, previous: result.previous, current: result.current };
  } catch (err) {
    if (err instanceof AgentError && err.code === 'UnknownMethod')
      return {
        ...target,
        ok: false,
        error: 'its agent or router process predates maintenance mode',
        hint: `upgrade it: slipway setup ${environment}; a router process keeps its code until it restarts ("slipway agent stop" then "slipway agent start" restarts it; users get no answer meanwhile)`,
      };
    const hint = (err as { hint?: unknown }).hint;
    return {
      ...target,
      ok: false,
      error: err instanceof Error ? err.message : String(err),
      ...(typeof hint === 'string' ? { hint } : {}),
    };
  }
}

/**
 * Each route's maintenance as its host reports it (`slipway maintenance status`): reads only, starts no agent.
 * A host whose agent does not run, or that cannot be reached, is reported as unknown.
 */
export async function readMaintenance(
  cp: ControlPlane,
  environment: string,
  targets = planMaintenanceTargets(cp.config.app, environment, environmentConfig(cp.config, environment)),
  options: { start?: boolean } = {},
): Promise<MaintenanceView & { errors: Array<{ host: string; error: string }> }> {
  const errors: Array<{ host: string; error: string }> = [];
  const routes = await Promise.all(
    targets.map(async (t) => {
      try {
        const host = cp.hosts.get(t.host);
        if (host === undefined) throw new Error(`host ${t.host} is not configured`);
        const state = await (await host.agent({ start: options.start ?? false })).call('state', {});
        return { host: where(t), route: state.routes.find((r) => r.app === t.key) ?? null };
      } catch (err) {
        const error = err instanceof AgentNotRunningError ? 'agent not running' : (err as Error).message;
        errors.push({ host: where(t), error });
        return { host: where(t), route: undefined };
      }
    }),
  );
  return { ...deriveMaintenanceStatus(routes), errors };
}
