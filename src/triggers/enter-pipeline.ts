import { printPreflight, refuseFailedPreflight, runPreflight } from '../cli/check.js';
import { runWithProgress } from '../cli/deploy.js';
import { syncAgentEvents } from '../cli/agent-events.js';
import type { Project } from '../cli/project.js';
import type { ExecutionResult } from '../executor/execute-plan.js';
import { runDeployment } from '../executor/run-deployment.js';

export interface PipelineEntry {
  /** The first environment of the path (the watch's environment until `pipeline:` exists). */
  environment: string;
  version: string;
  reason: string;
}

/**
 * Where a release built by a trigger enters the path to production. Today: what `slipway deploy <env>` does
 * (preflight, then the deployment with live progress). This is the one seam to route through the pipeline
 * runner, so that promotion, gates and approvals follow on their own.
 */
export async function enterPipeline(project: Project, entry: PipelineEntry): Promise<ExecutionResult> {
  await syncAgentEvents(project);
  const preflight = await runPreflight(project, entry.environment);
  if (preflight.some((r) => r.rows.some((row) => row.status === 'fail'))) printPreflight(preflight);
  refuseFailedPreflight(preflight);
  const { result } = await runWithProgress(project, 'deploy', (options) =>
    runDeployment(
      project,
      { environment: entry.environment, kind: 'deploy', version: entry.version, reason: entry.reason },
      options,
    ),
  );
  return result;
}
