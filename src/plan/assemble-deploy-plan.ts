import type { EnvironmentConfig } from '../config/schema.js';
import type { LoadedDatabase } from '../migrate/load-database-inputs.js';
import { planDatabaseStages, type DatabasePlanInput } from '../migrate/plan-database-stages.js';
import { applyPipelineStages, type PipelineStageOptions } from '../pipeline/plan-pipeline-stages.js';
import { planDeploy } from './plan-deploy.js';
import type { DeployInput } from './plan-input.js';
import type { Plan } from './steps.js';

/**
 * Everything a deployment's plan is made from, read before any planning (src/executor/prepare-plan.ts): the
 * release and the hosts as observed, the environment's gates, what the database's migrations need.
 */
export interface LoadedDeploy {
  deploy: DeployInput;
  env: EnvironmentConfig;
  pipeline: PipelineStageOptions;
  database: { input: DatabasePlanInput; loaded: LoadedDatabase | null };
}

/**
 * A deployment's plan from its loaded inputs. Its stages run as: the approval, the window (the pipeline), the
 * release installed, the database's backup and migration before the new release starts (after the switch, for an
 * expand-only revert), the strategy's start, verification and switch (planDeploy), the bake after the switch (the
 * pipeline), keep-warm and clean-up. Pure: the same inputs give the same plan, and nothing is read or written.
 */
export function assembleDeployPlan(loaded: LoadedDeploy): Plan {
  const strategy = planDeploy(loaded.deploy);
  const gated = applyPipelineStages(strategy, loaded.env, loaded.pipeline);
  return planDatabaseStages(gated, loaded.database.input, loaded.database.loaded);
}
