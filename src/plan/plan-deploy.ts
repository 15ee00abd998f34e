import type { HookPoint } from '../config/hooks-schema.js';
import { hookStages, withSwitchHooks, type HookSubject } from './hook-steps.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { LoadedDatabase } from '../migrate/load-database-inputs.js';
import {
  NO_DATABASE_STAGES,
  planDatabaseStages,
  type DatabasePlanInput,
} from '../migrate/plan-database-stages.js';
import {
  planBakeStage,
  planWindowStage,
  type PipelineStageOptions,
} from '../pipeline/plan-pipeline-stages.js';
import { planApprovalStep } from './plan-approval.js';
import { planScheduleStage } from './schedule-steps.js';
import type { DeployInput } from './plan-input.js';
import { planStrategy } from './plan-strategy.js';
import { hostsLeftAsIs } from './already-serving.js';
import { planWorkerStages, withWorkerStages } from './worker-steps.js';
import { CONTROL_PLANE, type Plan, type Stage, type StrategyStages } from './steps.js';

export type {
  CanaryStepPlan,
  DeployInput,
  HostObservation,
  PlannedStrategy,
  ReleaseRuntime,
} from './plan-input.js';

/**
 * What the environment puts around the strategy, read before planning (src/executor/prepare-plan.ts): its
 * windows and bake, a start time, and what its database's migrations need.
 */
export interface DeployGates {
  env: EnvironmentConfig;
  pipeline: PipelineStageOptions;
  database: { input: DatabasePlanInput; loaded: LoadedDatabase | null };
}

/**
 * A deployment's plan, or a rollback's (a deployment of an older release), from inputs read before: the release
 * and the hosts as observed (`input`), and the environment's gates (none when null). Its stages, in the order
 * they run:
 *
 * 1. the approval, which may take hours, before anything is installed;
 * 2. the window (or `--at` time), judged when the work would start;
 * 3. the strategy's `prepare` stages: the release installed, the edge made to balance;
 *    then the scheduled jobs placed on the environment's chosen host (before any switch makes them live);
 * 4. the database's backup and migration, so a failed migration aborts before users see anything new and the
 *    new release starts on the new schema;
 * 5. the strategy's `traffic` stages: start, health checks, weights, switch; the worker processes' stages before
 *    the switch or after it (./worker-steps.ts);
 * 6. down migrations that only revert expand migrations, after the switch (the newer code used them until then);
 * 7. the bake, while the old release is still warm to switch back to;
 * 8. the strategy's `retire` stages: keep warm, clean up;
 * 9. the verification suite.
 *
 * A rollback gets no approval, window, bake or verification: putting users back on a release that served is
 * never held up. Pure: the same inputs give the same plan; nothing is read or written.
 */
export function planDeploy(input: DeployInput, gates: DeployGates | null = null): Plan {
  const { stages: strategy, ...plan } = planStrategy(input);
  const deploy = input.kind === 'deploy';
  const database = gates
    ? planDatabaseStages(gates.database.input, gates.database.loaded)
    : NO_DATABASE_STAGES;
  const workers = planWorkerStages(input, hostsLeftAsIs(plan.alreadyServing ?? []));
  const hooks = (point: HookPoint, options?: { continueOnError: true }): Stage[] =>
    input.hooks ? hookStages(input.hooks.byPoint, point, hookSubject(input, plan), options) : [];
  const stages: (Stage | null)[] = [
    deploy ? approvalStage(input) : null,
    deploy && gates ? planWindowStage(gates.env, gates.pipeline) : null,
    ...(deploy ? hooks('beforeDeploy') : []),
    ...strategy.prepare,
    planScheduleStage(input),
    ...database.beforeTraffic,
    ...withSwitchHooks(
      withWorkerStages(strategy.traffic, workers, input.release.version),
      deploy ? hooks('beforeSwitch') : [],
      deploy ? hooks('afterSwitch') : hooks('afterRollback'),
      input.release.version,
    ),
    ...database.afterSwitch,
    deploy && gates
      ? planBakeStage(
          gates.env,
          { app: input.app, release: input.release.version },
          switchedTargets(strategy, input),
        )
      : null,
    ...strategy.retire,
    deploy ? verificationStage(input) : null,
  ];
  // A failed deployment that put users back on what served before is a rollback too; a hook failing then is only
  // reported: there is nothing left to undo.
  const putBack = plan.onFailure.some((s) => s.steps.some((step) => step.kind === 'switch-traffic'));
  const afterPutBack = deploy && putBack ? hooks('afterRollback', { continueOnError: true }) : [];
  return {
    ...plan,
    stages: stages.filter((s): s is Stage => s !== null),
    onFailure: [...plan.onFailure, ...workers.onFailure, ...afterPutBack],
  };
}

/** What a hook is told of the deployment it is a step of. */
function hookSubject(input: DeployInput, plan: Pick<Plan, 'previous'>): HookSubject {
  return {
    app: input.app,
    environment: input.environment,
    release: input.release.version,
    previousRelease: plan.previous?.release ?? null,
    hosts: input.hosts,
    url: input.hooks?.url ?? '',
  };
}

function approvalStage(input: DeployInput): Stage | null {
  if (!input.approval) return null;
  const subject = `deploy of ${input.release.version} to ${input.environment}`;
  return { name: 'approval', steps: [planApprovalStep(subject, input.approval)] };
}

/** An environment with `verify:` ends a deploy with its verification (the release was verified when deployed). */
function verificationStage(input: DeployInput): Stage | null {
  if (!input.verify) return null;
  return {
    name: 'verification',
    steps: [
      {
        kind: 'verify',
        host: CONTROL_PLANE,
        app: input.app,
        environment: input.environment,
        release: input.release.version,
        hosts: input.verify.hosts,
        suite: input.verify.suite,
      },
    ],
    ...(input.verify.suite.onFailure === 'keep' ? { keepOnFailure: true } : {}),
  };
}

/** The targets the strategy switches users to: what the bake watches. */
function switchedTargets(strategy: StrategyStages, input: DeployInput): { host: string; targetId: string }[] {
  return strategy.traffic.flatMap((s) =>
    s.steps.flatMap((step) =>
      step.kind === 'switch-traffic' && step.release === input.release.version
        ? [{ host: step.host, targetId: step.targetId }]
        : [],
    ),
  );
}
