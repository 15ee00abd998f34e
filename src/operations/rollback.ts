import { environmentConfig } from '../config/environment-config.js';
import { requireRelease } from '../executor/prepare-plan.js';
import { runDeployment } from '../executor/run-deployment.js';
import { chooseRollbackTarget } from '../executor/rollback-target.js';
import type { Outcome } from '../pipeline/run-pipeline.js';
import { hostsToSync, syncAgentEvents } from '../control-plane/agent-events.js';
import type { Project } from '../control-plane/open-project.js';
import type { OperationHooks } from './deploy.js';

export interface RollbackRequest {
  environment: string;
  /** The release to go back to; default: the one that served before the current one. */
  to?: string;
  reason?: string;
  /** Also run the down migrations of what the older release does not have. */
  down?: boolean;
}

/**
 * What `slipway rollback <env>` does: deploys, as a rollback, the named release or the one that served before the
 * one the hosts serve once the deployment holds the lock (src/executor/rollback-target.ts).
 */
export async function rollbackEnvironment(
  project: Project,
  request: RollbackRequest,
  hooks: Pick<OperationHooks, 'run'>,
): Promise<Outcome> {
  const env = request.environment;
  // A name that is not there is bad input, refused before any host is asked.
  environmentConfig(project.config, env);
  if (request.to !== undefined) await requireRelease(project, request.to);
  // The agents' switches reach the ledger while the deployment takes its lock and looks at the hosts.
  const synced = syncAgentEvents(project, hostsToSync(project, env));
  synced.catch(() => undefined);
  return hooks.run('rollback', (o) =>
    runDeployment(
      project,
      {
        environment: env,
        kind: 'rollback',
        version: async (observed) => {
          await synced;
          return chooseRollbackTarget(project, env, observed, request.to);
        },
        ...(request.reason ? { reason: request.reason } : {}),
        ...(request.down ? { runDownMigrations: true } : {}),
      },
      o,
    ),
  );
}
