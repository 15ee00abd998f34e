import { printPreflight, refuseFailedPreflight, runPreflight } from '../cli/check.js';
import { pipelineHooks } from '../cli/deploy.js';
import { syncAgentEvents } from '../cli/agent-events.js';
import { createPipelinePorts } from '../cli/pipeline-ports.js';
import type { Project } from '../cli/project.js';
import type { ExecutionResult } from '../executor/execute-plan.js';
import { runPipelineDeploy } from '../pipeline/run-pipeline.js';

export interface PipelineEntry {
  /** The first environment of the path: the first of `pipeline:`, else `watch.environment` or the only one. */
  environment: string;
  version: string;
  reason: string;
}

/**
 * Where a release built by a trigger enters the path to production: what `slipway deploy <env>` does (preflight,
 * then the deployment through the environment's gates with live progress); a successful deploy is promoted on by
 * the pipeline when it says `promote: automatic`. The result is that of the first environment's deployment.
 */
export async function enterPipeline(project: Project, entry: PipelineEntry): Promise<ExecutionResult> {
  await syncAgentEvents(project);
  const preflight = await runPreflight(project, entry.environment);
  if (preflight.some((r) => r.rows.some((row) => row.status === 'fail'))) printPreflight(preflight);
  refuseFailedPreflight(preflight);
  const [first] = await runPipelineDeploy(
    project,
    createPipelinePorts(project),
    {
      environment: entry.environment,
      version: entry.version,
      reason: entry.reason,
      notBeforeMs: null,
      overrideFreeze: null,
    },
    pipelineHooks(project),
  );
  if (!first) throw new Error('the pipeline ran no deployment');
  return first.result;
}
