import { InputError, SlipwayError } from '../core/errors.js';
import type { ExecutionResult } from '../executor/execute-plan.js';
import { environmentConfig } from '../config/environment-config.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { DeploymentRequest } from '../executor/prepare-plan.js';
import type { Plan, Rotation } from '../plan/steps.js';
import { parseDurationMs } from '../core/duration.js';
import { decideGates, evaluateGates, type Gate, type VerificationResult } from './gates.js';
import { derivePipelinePosition } from './pipeline-position.js';

/** The ports the pipeline needs beyond the control plane; the CLI (or the server) wires them. */
export interface PipelinePorts {
  /** Verification results of a release in an environment (the staging verification suite). */
  verificationGate(query: { app: string; release: string; environment: string }): Promise<VerificationResult>;
  /** Roles of a person in an environment from `team:`; null when there is no team (anyone may override). */
  rolesOf(person: string, environment: string): string[] | null;
  /** The acting person (as `team:` names them: SLIPWAY_USER, else the OS user name). */
  person: string;
}

export interface PipelineDeployRequest {
  environment: string;
  version: string;
  reason?: string;
  /** `deploy --at`. */
  notBeforeMs: number | null;
  /** `--override-freeze` with its `--reason` (refused without one). */
  overrideFreeze: { reason: string | undefined } | null;
  /** The environment the release is promoted from (`promote-release` or automatic promotion). */
  promotedFrom?: string;
  /** `slipway secrets rotate`: `version` serves already; it starts again with fresh values, and is not promoted. */
  rotation?: Rotation;
}

export type Outcome = { plan: Plan; result: ExecutionResult };

export interface PipelineRunHooks {
  /** Runs one deployment (the CLI shows its progress). */
  deploy(request: DeploymentRequest): Promise<Outcome>;
  /** Called before each deployment with its gates, and when an automatic promotion is refused. */
  onGates?(environment: string, gates: Gate[]): void;
  onPromotionRefused?(environment: string, reasons: string[]): void;
}

/** Gathers what the gates of `environment` are judged on (the store, the verification port), then judges. */
export async function collectGates(
  cp: ControlPlane,
  ports: PipelinePorts,
  request: Pick<PipelineDeployRequest, 'environment' | 'version' | 'notBeforeMs' | 'overrideFreeze'>,
): Promise<Gate[]> {
  const env = environmentConfig(cp.config, request.environment);
  const position = derivePipelinePosition(cp.config, request.environment);
  const previous = position.previous
    ? {
        environment: position.previous,
        succeeded: await hasSucceeded(cp, position.previous, request.version),
        verification: await ports.verificationGate({
          app: cp.config.app,
          release: request.version,
          environment: position.previous,
        }),
        verifies: environmentConfig(cp.config, position.previous).verify !== undefined,
      }
    : null;
  return evaluateGates({
    environment: request.environment,
    release: request.version,
    nowMs: cp.clock.nowMs(),
    previous,
    windows: env.windows,
    freezes: env.freezes,
    notBeforeMs: request.notBeforeMs,
    freezeOverride: request.overrideFreeze
      ? { by: ports.person, reason: request.overrideFreeze.reason ?? '' }
      : null,
    approvals: env.approvals?.required ?? null,
    bakeDurationMs: env.bake ? (parseDurationMs(env.bake.duration) ?? null) : null,
  });
}

/**
 * Deploys a release to an environment through its gates: refuses when a gate blocks (the previous environment
 * has not run it, its verification failed, a freeze without override), records a freeze override and a
 * promotion, runs the deployment (which waits for its window in a plan step and bakes after the switch), marks
 * the release good when it baked, and promotes it on when the pipeline says `promote: automatic`.
 */
export async function runPipelineDeploy(
  cp: ControlPlane,
  ports: PipelinePorts,
  request: PipelineDeployRequest,
  hooks: PipelineRunHooks,
): Promise<Outcome[]> {
  const env = environmentConfig(cp.config, request.environment);
  checkOverride(request, ports, env.freezeOverrideRoles);
  const release = await cp.store.getRelease(cp.config.app, request.version);
  const gates = await collectGates(cp, ports, request);
  hooks.onGates?.(request.environment, gates);
  const decision = decideGates(gates);
  if (decision.kind === 'refuse') {
    throw new SlipwayError(
      `${request.version} may not be deployed to ${request.environment}: ${decision.reasons.join('; ')}`,
      { hint: refusalHint(gates) },
    );
  }
  const freeze = gates.find((g) => g.kind === 'freeze');
  if (freeze?.status === 'overridden') {
    await ledger(cp, request.environment, request.version, 'freeze.overridden', freeze.detail, {
      freeze: freeze.freeze,
      by: ports.person,
      reason: request.overrideFreeze?.reason,
    });
  }
  if (request.promotedFrom) {
    await ledger(
      cp,
      request.environment,
      request.version,
      'release.promoted',
      `${request.version} promoted from ${request.promotedFrom} to ${request.environment} (artifact ${release?.sha256.slice(0, 12) ?? '?'})`,
      { from: request.promotedFrom, to: request.environment, sha256: release?.sha256 ?? null },
    );
  }
  const outcome = await hooks.deploy({
    environment: request.environment,
    kind: 'deploy',
    version: request.version,
    notBeforeMs: request.notBeforeMs,
    freezeOverridden: freeze?.status === 'overridden',
    ...(request.reason ? { reason: request.reason } : {}),
    ...(request.rotation ? { rotation: request.rotation } : {}),
  });
  return [outcome, ...(await afterDeployment(cp, ports, outcome, hooks))];
}

/** What follows a finished deployment (also a resumed one): the good mark, then automatic promotion. */
export async function afterDeployment(
  cp: ControlPlane,
  ports: PipelinePorts,
  outcome: Outcome,
  hooks: PipelineRunHooks,
): Promise<Outcome[]> {
  const { plan, result } = outcome;
  if (result.outcome !== 'succeeded' || plan.kind !== 'deploy') return [];
  if (plan.stages.some((s) => s.steps.some((step) => step.kind === 'bake'))) {
    await cp.store.markReleaseGood({
      app: plan.app,
      environment: plan.environment,
      version: plan.release.version,
      deploymentId: plan.deploymentId,
      markedBy: cp.actor,
      markedAtMs: cp.clock.nowMs(),
    });
    await ledger(
      cp,
      plan.environment,
      plan.release.version,
      'release.marked-good',
      `${plan.release.version} is good in ${plan.environment} (its bake passed)`,
      { deploymentId: plan.deploymentId },
      plan.deploymentId,
    );
  }
  const position = derivePipelinePosition(cp.config, plan.environment);
  // A rotation changes an environment's secrets, not what it runs: there is nothing to promote.
  if (position.promote !== 'automatic' || position.next === null || plan.rotation) return [];
  const next = {
    environment: position.next,
    version: plan.release.version,
    notBeforeMs: null,
    overrideFreeze: null,
    promotedFrom: plan.environment,
    reason: `automatic promotion from ${plan.environment}`,
  };
  const gates = await collectGates(cp, ports, next);
  const decision = decideGates(gates);
  if (decision.kind === 'refuse') {
    hooks.onPromotionRefused?.(position.next, decision.reasons);
    return [];
  }
  return runPipelineDeploy(cp, ports, next, hooks);
}

function checkOverride(request: PipelineDeployRequest, ports: PipelinePorts, allowed: string[]): void {
  if (!request.overrideFreeze) return;
  if (!request.overrideFreeze.reason?.trim()) {
    throw new InputError('overriding a freeze needs a written reason; nothing was deployed', {
      hint: 'add --reason "why this cannot wait" (it is kept in the ledger)',
    });
  }
  const roles = ports.rolesOf(ports.person, request.environment);
  if (roles !== null && !roles.some((r) => allowed.includes(r))) {
    throw new SlipwayError(
      `${ports.person} may not override a freeze in ${request.environment} (roles: ${roles.join(', ') || 'none'})`,
      { hint: `freezeOverrideRoles of ${request.environment}: ${allowed.join(', ')}` },
    );
  }
}

function refusalHint(gates: Gate[]): string {
  const blocked = gates.filter((g) => g.status === 'blocked').map((g) => g.kind);
  if (blocked.includes('freeze'))
    return 'wait for the freeze to end, or deploy with --override-freeze --reason "…" if your role allows it';
  if (blocked.includes('previous-environment'))
    return 'deploy it to the previous environment of the pipeline first ("slipway plan --pipeline" shows the path)';
  return '"slipway plan --pipeline" shows every gate';
}

async function hasSucceeded(cp: ControlPlane, environment: string, version: string): Promise<boolean> {
  const deployments = await cp.store.listDeployments({ app: cp.config.app, environment, limit: 100 });
  return deployments.some(
    (d) => d.kind === 'deploy' && d.releaseVersion === version && d.outcome === 'succeeded',
  );
}

async function ledger(
  cp: ControlPlane,
  environment: string,
  release: string,
  kind: string,
  message: string,
  data: Record<string, unknown>,
  deploymentId?: string,
): Promise<void> {
  await cp.store.appendEvent({
    atMs: cp.clock.nowMs(),
    actor: cp.actor,
    app: cp.config.app,
    environment,
    kind,
    release,
    message,
    data,
    ...(deploymentId ? { deploymentId } : {}),
  });
}
