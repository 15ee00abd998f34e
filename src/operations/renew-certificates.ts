import { join } from 'node:path';
import { edgeRouteKey, type AgentMethods } from '../agent/protocol.js';
import type { RevocationReason } from '../certificates/acme-issuer.js';
import { hostName } from '../config/config-values.js';
import {
  frontDoorHostsOf,
  holdsSharedCertificate,
  routeKeyOf,
  tlsModeOf,
  type FrontDoorEnvironment,
} from '../config/config-values-front-door.js';
import { environmentConfig } from '../config/environment-config.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { AgentError, InputError } from '../core/errors.js';
import { deriveDeploymentId } from '../core/ids.js';
import { withDeployLock, type LockOptions } from '../executor/deploy-lock.js';
import { plannedFrontDoorOf } from '../executor/front-door-certificates.js';
import { provideSharedCertificate } from '../executor/shared-certificate.js';
import { CONTROL_PLANE, type ObtainCertificateStep } from '../plan/steps.js';

/** The reasons a subscriber may give the CA for a revocation (RFC 5280 codes Let's Encrypt accepts). */
export const REVOCATION_REASON_NAMES: readonly RevocationReason[] = [
  'keyCompromise',
  'superseded',
  'cessationOfOperation',
  'unspecified',
];

export interface RenewCertificatesRequest {
  environment: string;
  /** Revoke the certificate in place at the CA first. */
  revoke: boolean;
  /** Why it is revoked (only with `revoke`; default `unspecified`). */
  reason?: string;
  /**
   * Only when due (two thirds of its lifetime gone, or missing, expired, other names): for a certificate the
   * control plane holds (several hosts, no edge), from cron or `slipway server`. The hosts renew their own
   * certificates themselves: for those nothing is done.
   */
  whenDue?: boolean;
}

/** Where the request goes: each host whose front door serves the environment's names, and the route's key there. */
export interface CertificateRenewalPlan {
  targets: Array<{ host: string; key: string }>;
  /** Several hosts and no edge: the control plane holds the one certificate, renews it and sends it to them. */
  shared: boolean;
  /** The reason the CA is given, or null when nothing is revoked. */
  revoke: RevocationReason | null;
}

export type CertificateRenewal = AgentMethods['renewCertificate']['result'];

/** What one host did: its new certificate (and the one it replaced), or why it has none. */
export type HostRenewal = { host: string; key: string } & (
  { ok: true; renewal: CertificateRenewal } | { ok: false; error: string; hint?: string }
);

/**
 * Which hosts are asked for a new certificate, under which route key: the edge's host with an edge (its front
 * door's route is `edge:<key>`), else each host of the environment. An environment whose certificates do not come
 * from ACME (`tls.acme`), or a reason without `--revoke`, is bad input. Pure.
 */
export function planCertificateRenewal(
  app: string,
  environment: string,
  env: FrontDoorEnvironment,
  request: Pick<RenewCertificatesRequest, 'revoke' | 'reason' | 'whenDue'>,
): CertificateRenewalPlan {
  if (request.whenDue === true && request.revoke) {
    throw new InputError('--when-due renews a certificate only when it is due; --revoke replaces it now', {
      hint: 'give one of them',
    });
  }
  if (request.reason !== undefined && !request.revoke) {
    throw new InputError('--reason says why a certificate is revoked: it goes with --revoke', {
      hint: `slipway certificates renew ${environment} --revoke --reason ${request.reason}`,
    });
  }
  const reason = request.reason ?? 'unspecified';
  if (!(REVOCATION_REASON_NAMES as readonly string[]).includes(reason)) {
    throw new InputError(`"${reason}" is not a revocation reason`, {
      hint: `one of ${REVOCATION_REASON_NAMES.join(', ')}`,
    });
  }
  refuseWithoutAcme(environment, env);
  const key = routeKeyOf(app, environment, env);
  const targets = env.edge
    ? [{ host: hostName(env.edge.host), key: edgeRouteKey(key) }]
    : frontDoorHostsOf(env).map((host) => ({ host, key }));
  const shared = holdsSharedCertificate(env);
  return { targets, shared, revoke: request.revoke ? (reason as RevocationReason) : null };
}

function refuseWithoutAcme(environment: string, env: FrontDoorEnvironment): void {
  const mode = tlsModeOf(env).mode;
  if (mode === 'acme') return;
  const hint = `certificates renew is for certificates the hosts obtain from an ACME CA: tls: { acme: { email: … } } beside domains in environments.${environment} (docs/https-and-domains.md)`;
  if (env.domains === undefined) {
    throw new InputError(`${environment} has no domains: no front door serves it, and no certificate`, {
      hint,
    });
  }
  if (mode === 'none') {
    throw new InputError(`${environment} has no tls: its names are served over plain HTTP`, { hint });
  }
  throw new InputError(
    `${environment} serves certificate files (tls.certificates), not certificates from ACME (tls.acme): there is nothing to renew at a CA`,
    { hint: 'replace the files and deploy again' },
  );
}

/**
 * `slipway certificates renew <env> [--revoke]`: each host that serves the environment's names obtains a new
 * certificate from its ACME CA now (after revoking the one in place, with `revoke`) and serves it for new
 * handshakes. The hosts are asked one after the other (each its own order at the CA), all of them even when one
 * fails: a compromised key is replaced wherever it can be. Holds the environment's deploy lock meanwhile, so that
 * no deploy attaches the route again with the certificate being replaced. Ledgered as `certificate.requested` with
 * the actor; the hosts journal `certificate.revoked` and `certificate.issued` (or `certificate.failed`).
 */
export async function renewCertificates(
  cp: ControlPlane,
  request: RenewCertificatesRequest,
  options: { onHost?: (renewal: HostRenewal) => void; lock?: LockOptions } = {},
): Promise<HostRenewal[]> {
  const { environment } = request;
  const env = environmentConfig(cp.config, environment);
  const plan = planCertificateRenewal(cp.config.app, environment, env, request);
  if (request.whenDue === true && !plan.shared) return []; // the hosts' router processes renew on their own
  const lockId = deriveDeploymentId(cp.clock.nowMs(), cp.randomSuffix());
  return withDeployLock(cp, environment, lockId, options.lock ?? {}, async () => {
    const hosts = plan.targets.map((t) => t.host);
    const names = env.domains?.join(', ') ?? '';
    // A look when due (cron, the server's hourly one) is no request: ledgered only if it renews.
    if (request.whenDue !== true)
      await cp.store.appendEvent({
        atMs: cp.clock.nowMs(),
        actor: cp.actor,
        app: cp.config.app,
        environment,
        kind: 'certificate.requested',
        message:
          plan.revoke === null
            ? `a new certificate for ${names} asked of ${hosts.join(', ')}`
            : `the certificate for ${names} revoked (${plan.revoke}) and replaced, asked of ${hosts.join(', ')}`,
        data: { hosts, revoke: plan.revoke !== null, reason: plan.revoke },
      });
    if (plan.shared) {
      const results = await renewShared(cp, environment, plan, request.whenDue === true);
      for (const result of results) options.onHost?.(result);
      return results;
    }
    const results: HostRenewal[] = [];
    for (const target of plan.targets) {
      const result = await renewOn(cp, environment, target, plan.revoke);
      results.push(result);
      options.onHost?.(result);
    }
    return results;
  });
}

async function renewOn(
  cp: ControlPlane,
  environment: string,
  target: { host: string; key: string },
  revoke: RevocationReason | null,
): Promise<HostRenewal> {
  const host = cp.hosts.get(target.host);
  if (host === undefined) return { ...target, ok: false, error: `host ${target.host} is not configured` };
  try {
    const agent = await host.agent();
    const renewal = await agent.call('renewCertificate', {
      key: target.key,
      revoke: revoke !== null,
      ...(revoke === null ? {} : { reason: revoke }),
      requestedBy: cp.actor,
    });
    return { ...target, ok: true, renewal };
  } catch (err) {
    if (err instanceof AgentError && err.code === 'UnknownMethod') {
      return {
        ...target,
        ok: false,
        error: 'its agent predates certificates renew (it does not know renewCertificate)',
        hint: `upgrade it: slipway setup ${environment} (the router process keeps renewing on its own timer meanwhile)`,
      };
    }
    const error = err instanceof Error ? err.message : String(err);
    const hint = (err as { hint?: unknown }).hint;
    return { ...target, ok: false, error, ...(typeof hint === 'string' ? { hint } : {}) };
  }
}

/** A fleet's shared certificate: renewed (or revoked and replaced) here, once, and sent to every host. */
async function renewShared(
  cp: ControlPlane,
  environment: string,
  plan: CertificateRenewalPlan,
  whenDue: boolean,
): Promise<HostRenewal[]> {
  const env = environmentConfig(cp.config, environment);
  const door = plannedFrontDoorOf(cp.config.app, environment, env, cp.projectDir ?? process.cwd());
  const key = plan.targets[0]?.key ?? routeKeyOf(cp.config.app, environment, env);
  if (door === null) return [];
  const step: ObtainCertificateStep = {
    kind: 'obtain-certificate',
    host: CONTROL_PLANE,
    app: key,
    environment,
    hosts: plan.targets.map((t) => t.host),
    publicPort: env.publicPort,
    bindAddress: env.bindAddress,
    metricsPort: env.metricsPort ?? null,
    frontDoor: door,
  };
  const ledger = async (e: { kind: string; message: string; data?: unknown }): Promise<void> => {
    await cp.store.appendEvent({
      atMs: cp.clock.nowMs(),
      actor: cp.actor,
      app: cp.config.app,
      environment,
      kind: e.kind,
      message: e.message,
      ...(e.data === undefined ? {} : { data: e.data }),
    });
  };
  try {
    const done = await provideSharedCertificate(
      step,
      { hosts: cp.hosts, clock: cp.clock, certificates: { dir: join(cp.stateDir, 'certificates') }, ledger },
      plan.revoke !== null ? { revoke: plan.revoke } : { renew: whenDue ? 'when-needed' : 'now' },
    );
    const renewal: CertificateRenewal = {
      key,
      names: done.names,
      previous: done.previous,
      current: done.current,
      revoked: done.revoked,
    };
    return plan.targets.map((t) => ({ ...t, ok: true as const, renewal }));
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    const hint = (err as { hint?: unknown }).hint;
    return plan.targets.map((t) => ({
      ...t,
      ok: false as const,
      error,
      ...(typeof hint === 'string' ? { hint } : {}),
    }));
  }
}

/**
 * `slipway server`: renews the certificates the control plane holds when they are due, at start and then every
 * `intervalMs` (rounds never overlap; a deploy holding the lock just makes a round wait for the next). Returns stop.
 */
export function startSharedCertificateRenewal(
  cp: ControlPlane,
  intervalMs: number,
  onError: (environment: string, err: unknown) => void,
): () => Promise<void> {
  const environments = Object.keys(cp.config.environments).filter((name) =>
    holdsSharedCertificate(environmentConfig(cp.config, name)),
  );
  if (environments.length === 0) return () => Promise.resolve();
  let running: Promise<void> | null = null;
  const round = (): void => {
    if (running) return;
    running = (async () => {
      for (const environment of environments) {
        const results = await renewCertificates(cp, { environment, revoke: false, whenDue: true }).catch(
          (err: unknown) => {
            onError(environment, err);
            return [];
          },
        );
        const failed = results.find((r) => !r.ok);
        if (failed && !failed.ok) onError(environment, new Error(failed.error));
      }
    })().finally(() => (running = null));
  };
  const first = setTimeout(round, 0);
  const timer = setInterval(round, intervalMs);
  first.unref();
  timer.unref();
  return async () => {
    clearTimeout(first);
    clearInterval(timer);
    await running;
  };
}
