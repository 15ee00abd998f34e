import { appendDeploymentEvent } from './deployment-event.js';
import { join } from 'node:path';
import type { Secret } from '../core/secret.js';
import { SlipwayError } from '../core/errors.js';
import { deriveDeploymentId } from '../core/ids.js';
import { DEFAULTS } from '../config/defaults.js';
import { environmentConfig } from '../config/environment-config.js';
import { routeSelectorOf } from '../config/config-values-front-door.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { Plan } from '../plan/steps.js';
import { refuseIfFrozen, recordFreeze } from '../migrate/freeze.js';
import { IrreversibleMigrationError } from '../migrate/plan-database-stages.js';
import { deriveCompletedSteps, deriveResumable } from './derive-phase.js';
import { createCanaryController } from './create-canary-controller.js';
import { withDeployLock, type LockOptions } from './deploy-lock.js';
import {
  executePlan,
  ON_FAILURE_BASE_INDEX,
  RECOVERY_BASE_INDEX,
  type ExecutionResult,
} from './execute-plan.js';
import { hostsOf } from '../hosts/hosts-of.js';
import type { HostObservation } from '../plan/plan-deploy.js';
import { observeHosts } from '../hosts/observe-hosts.js';
import { checkRegistryImages } from './registry-check.js';
import { preparePlan, resolveSecrets, type DeploymentRequest } from './prepare-plan.js';
import { recordThenAnnounce } from './record-deployment.js';
import { recordSecretFingerprints } from './record-secret-fingerprints.js';
import type { ProgressReporter } from './progress.js';
import { stepHandlers } from './step-handlers.js';

/**
 * A deployment whose release is chosen from the hosts as they are once its lock is held: a rollback goes back from
 * what serves at that moment, not from what served when it was asked for.
 */
export interface ChosenDeploymentRequest extends Omit<DeploymentRequest, 'version'> {
  version: (observed: HostObservation[]) => Promise<string>;
}

export interface RunOptions extends LockOptions {
  reporter: ProgressReporter;
  signal?: AbortSignal;
  onPlan?: (plan: Plan) => void;
}

/**
 * Takes the environment's lock, abandons an interrupted deployment it supersedes, plans, records and executes a
 * deployment, and releases the lock however it ends.
 */
export async function runDeployment(
  cp: ControlPlane,
  request: DeploymentRequest | ChosenDeploymentRequest,
  options: RunOptions,
): Promise<{ plan: Plan; result: ExecutionResult }> {
  const deploymentId = deriveDeploymentId(cp.clock.nowMs(), cp.randomSuffix());
  await refuseIfFrozen(cp.store, cp.config.app, request.environment);
  return withDeployLock(cp, request.environment, deploymentId, options, async () => {
    await abandonInterrupted(cp, request.environment, deploymentId);
    // One look at the hosts, under the lock: it chooses the release (a rollback) and feeds the plan.
    const route = routeSelectorOf(
      cp.config.app,
      request.environment,
      environmentConfig(cp.config, request.environment),
    );
    const observed = await observeHosts(hostsOf(cp, request.environment), cp.config.app, { route });
    const version = typeof request.version === 'string' ? request.version : await request.version(observed);
    const plan = await preparePlan(cp, { ...request, version }, deploymentId, { observed }).catch(
      async (err: unknown) => {
        // Going back across a migration that cannot be reverted: freeze and alert instead of reverting.
        if (err instanceof IrreversibleMigrationError)
          await recordFreeze(cp.store, {
            app: cp.config.app,
            environment: request.environment,
            actor: cp.actor,
            atMs: cp.clock.nowMs(),
            release: version,
            message: err.message,
            data: { release: version, migrations: err.migrations.map((m) => m.name) },
          });
        throw err;
      },
    );
    const secrets = await resolveSecrets(cp, plan);
    await checkRegistryImages(cp, plan, secrets);
    const deployment = {
      id: deploymentId,
      app: cp.config.app,
      environment: request.environment,
      kind: request.kind,
      releaseVersion: version,
      previousVersion: plan.previous?.release ?? null,
      strategy: plan.strategy,
      plan,
      createdBy: cp.actor,
      createdAtMs: cp.clock.nowMs(),
      reason: request.reason ?? null,
    };
    await recordThenAnnounce(cp.store, deployment, plan, options.onPlan);
    await recordSecretFingerprints(cp, plan, secrets);
    const result = await execute(cp, plan, options, secrets, new Set());
    return { plan, result };
  });
}

/**
 * Continues the newest deployment of an environment that did not finish its plan: one interrupted (Ctrl-C, a
 * crash) is continued in place; one that stopped on a failure without undoing anything (a rolling update with
 * `onBatchFailure: stop`, e.g. a host that lost its link) continues as a new deployment of the same plan that
 * skips the steps already done. Every step is idempotent, so the end state is that of an uninterrupted run.
 */
export async function resumeDeployment(
  cp: ControlPlane,
  environment: string,
  options: RunOptions,
): Promise<{ plan: Plan; result: ExecutionResult }> {
  const [latest] = await cp.store.listDeployments({ app: cp.config.app, environment, limit: 1 });
  const steps = latest ? await cp.store.listSteps(latest.id) : [];
  const bases = { onFailure: ON_FAILURE_BASE_INDEX, recovery: RECOVERY_BASE_INDEX };
  if (!latest || !deriveResumable(latest, steps, bases)) {
    throw new SlipwayError(`there is no interrupted deployment of ${environment} to resume`, {
      hint: latest?.outcome
        ? `the last deployment ended ${latest.outcome}; deploy again instead ("slipway history ${environment}" shows it)`
        : `"slipway history ${environment}" shows the deployments`,
    });
  }
  const inPlace = latest.outcome === null;
  const deploymentId = inPlace ? latest.id : deriveDeploymentId(cp.clock.nowMs(), cp.randomSuffix());
  return withDeployLock(cp, environment, deploymentId, options, async () => {
    const plan = { ...(latest.plan as Plan), deploymentId };
    const secrets = await resolveSecrets(cp, plan);
    if (inPlace) options.onPlan?.(plan);
    else {
      const deployment = {
        id: deploymentId,
        app: cp.config.app,
        environment,
        kind: latest.kind,
        releaseVersion: latest.releaseVersion,
        previousVersion: latest.previousVersion,
        strategy: latest.strategy,
        plan,
        createdBy: cp.actor,
        createdAtMs: cp.clock.nowMs(),
        reason: `resumes ${latest.id}`,
      };
      await recordThenAnnounce(cp.store, deployment, plan, options.onPlan);
      await recordSecretFingerprints(cp, plan, secrets);
    }
    const completed = deriveCompletedSteps(steps, ON_FAILURE_BASE_INDEX);
    const result = await execute(cp, plan, options, secrets, completed);
    return { plan, result };
  });
}

export async function execute(
  cp: ControlPlane,
  plan: Plan,
  options: RunOptions,
  secrets: Map<string, Secret>,
  completed: Set<number>,
): Promise<ExecutionResult> {
  const canary = await createCanaryController(cp, plan, completed);
  // The approval waiter loads for a plan that waits for one.
  const approvals = plan.stages.some((s) => s.steps.some((step) => step.kind === 'await-approval'))
    ? new (await import('./approval-waiter.js')).ApprovalWaiter(
        cp.store,
        cp.clock,
        {
          app: plan.app,
          environment: plan.environment,
          deploymentId: plan.deploymentId,
          release: plan.release.version,
          requestedBy: (await cp.store.getDeployment(plan.deploymentId))?.createdBy ?? cp.actor,
        },
        cp.config.team,
      )
    : undefined;
  return executePlan(plan, {
    store: cp.store,
    handlers: stepHandlers,
    stepContext: {
      hosts: cp.hosts,
      secrets,
      clock: cp.clock,
      ledger: (e) => appendDeploymentEvent(cp, plan, e),
      ...(canary ? { canary } : {}),
      certificates: { dir: join(cp.stateDir, 'certificates') },
      hooks: { cwd: cp.projectDir ?? process.cwd(), env: process.env, deploymentId: plan.deploymentId },
      migrations: {
        store: cp.store,
        stateDir: cp.stateDir,
        actor: cp.actor,
        deploymentId: plan.deploymentId,
        lockTimeoutMs: DEFAULTS.database.lockTimeoutMs,
      },
      ...(approvals ? { approvals } : {}),
      verification: {
        store: cp.store,
        hosts: cp.hosts,
        clock: cp.clock,
        actor: cp.actor,
        deploymentId: plan.deploymentId,
      },
    },
    reporter: options.reporter,
    actor: cp.actor,
    completed,
    concurrency: environmentConfig(cp.config, plan.environment).ssh.parallelism,
    ...(canary ? { guard: canary } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** An unfinished deployment whose process died is marked aborted when a new one starts instead of resuming it. */
async function abandonInterrupted(cp: ControlPlane, environment: string, newId: string): Promise<void> {
  const recent = await cp.store.listDeployments({ app: cp.config.app, environment, limit: 5 });
  for (const d of recent) {
    if (d.outcome !== null || d.id === newId) continue;
    await cp.store.finishDeployment(d.id, {
      outcome: 'aborted',
      finishedAtMs: cp.clock.nowMs(),
      error: `superseded by ${newId}`,
    });
    await cp.store.appendEvent({
      atMs: cp.clock.nowMs(),
      actor: cp.actor,
      app: cp.config.app,
      environment,
      kind: 'deploy.aborted',
      deploymentId: d.id,
      release: d.releaseVersion,
      message: `interrupted deployment ${d.id} abandoned: superseded by ${newId}`,
    });
  }
}
