import type { CheckRow } from '../hosts/check-host.js';
import { environmentConfig, environmentRoute } from '../config/environment-config.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { requireRelease, type DeploymentRequest } from '../executor/prepare-plan.js';
import { resumeDeployment, runDeployment, type RunOptions } from '../executor/run-deployment.js';
import {
  afterDeployment,
  runPipelineDeploy,
  type Outcome,
  type PipelineDeployRequest,
  type PipelineRunHooks,
} from '../pipeline/run-pipeline.js';
import { hostsToSync, syncAgentEvents } from '../control-plane/agent-events.js';
import { refuseFailedPreflight, runPreflight } from '../control-plane/preflight.js';
import { createPipelinePorts } from '../control-plane/pipeline-ports.js';
import type { Project } from '../control-plane/open-project.js';
import { observeHosts } from '../hosts/observe-hosts.js';

export type DeploymentVerb = 'deploy' | 'resume' | 'rollback';
/** One deployment, given the options of whoever runs it. */
export type DeploymentRun = (options: RunOptions) => Promise<Outcome>;

/** What one host's router sends its traffic to now (the release of its active target), if anything. */
export interface ServingHost {
  host: string;
  release: string | null;
}

/** What a runner may want to know besides the deployment itself. */
export interface DeploymentContext {
  /**
   * A resume: asks the routers what they serve now. The stored plan names what served when it was made, which
   * its switch may have replaced before the interruption.
   */
  observeServing?: () => Promise<ServingHost[]>;
}

/**
 * What differs between the CLI and the server's jobs: the CLI runs each deployment with its live view and
 * Ctrl-C, and prints gates and refusals; a job runs it silently with its own abort signal and records it.
 */
export interface OperationHooks {
  run(verb: DeploymentVerb, deployment: DeploymentRun, context?: DeploymentContext): Promise<Outcome>;
  /** The preflight's results, before a failed one refuses the deploy. */
  onPreflight?(results: Array<{ host: string; rows: CheckRow[] }>): void;
  onGates?: PipelineRunHooks['onGates'];
  onPromotionRefused?: PipelineRunHooks['onPromotionRefused'];
}

/**
 * What `slipway deploy <env>` does, and where releases from `watch` and `webhook` enter: the same checks as
 * "slipway check" first (a host that cannot take the release stops it here), with the agents' event sync beside
 * them (both use the one channel per host the deploy goes on with), then the deployment through the environment's
 * gates, promoted on when the pipeline says `promote: automatic`.
 */
export async function deployThroughGates(
  project: Project,
  request: PipelineDeployRequest,
  hooks: OperationHooks,
): Promise<Outcome[]> {
  // Bad input is refused before any host is asked (which would start its agent).
  environmentConfig(project.config, request.environment);
  await requireRelease(project, request.version);
  const [, preflight] = await Promise.all([
    syncAgentEvents(project, hostsToSync(project, request.environment)),
    runPreflight(project, request.environment),
  ]);
  hooks.onPreflight?.(preflight);
  refuseFailedPreflight(preflight);
  return runPipelineDeploy(project, createPipelinePorts(project), request, pipelineHooksOf(project, hooks));
}

/** `deploy --resume`: continues the interrupted deployment, then what follows a deploy (good mark, promotion). */
export async function resumeThroughPipeline(
  project: Project,
  environment: string,
  hooks: OperationHooks,
): Promise<Outcome[]> {
  await syncAgentEvents(project, hostsToSync(project, environment));
  const outcome = await hooks.run('resume', (o) => resumeDeployment(project, environment, o), {
    observeServing: () => observeServing(project, environment),
  });
  return [
    outcome,
    ...(await afterDeployment(
      project,
      createPipelinePorts(project),
      outcome,
      pipelineHooksOf(project, hooks),
    )),
  ];
}

/** What each host's router serves now; no host at all when they cannot be asked (nothing is guessed then). */
async function observeServing(project: Project, environment: string): Promise<ServingHost[]> {
  try {
    const route = environmentRoute(project.config, environment);
    const observed = await observeHosts(hostsOf(project, environment), project.config.app, { route });
    return observed.map((o) => ({ host: o.host, release: o.active?.release ?? null }));
  } catch {
    return [];
  }
}

/** The pipeline's hooks: each deployment it starts (also an automatic promotion) runs through `hooks.run`. */
export function pipelineHooksOf(project: Project, hooks: OperationHooks): PipelineRunHooks {
  return {
    deploy: (request: DeploymentRequest) => hooks.run('deploy', (o) => runDeployment(project, request, o)),
    ...(hooks.onGates ? { onGates: hooks.onGates } : {}),
    ...(hooks.onPromotionRefused ? { onPromotionRefused: hooks.onPromotionRefused } : {}),
  };
}
