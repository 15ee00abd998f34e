import { SlipwayError } from '../core/errors.js';
import { observeHosts } from '../executor/observe-hosts.js';
import { environmentConfig } from '../config/environment-config.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { requireRelease } from '../executor/prepare-plan.js';
import { runDeployment } from '../executor/run-deployment.js';
import { chooseRollbackRelease } from '../plan/choose-rollback.js';
import type { Outcome } from '../pipeline/run-pipeline.js';
import { hostsToSync, syncAgentEvents } from '../cli/agent-events.js';
import type { Project } from '../cli/project.js';
import type { OperationHooks } from './deploy.js';

export interface RollbackRequest {
  environment: string;
  /** The release to go back to; default: the one that served before the current one. */
  to?: string;
  reason?: string;
  /** Also run the down migrations of what the older release does not have. */
  down?: boolean;
}

/** What `slipway rollback <env>` does: chooses the release to go back to, then deploys it as a rollback. */
export async function rollbackEnvironment(
  project: Project,
  request: RollbackRequest,
  hooks: Pick<OperationHooks, 'run'>,
): Promise<Outcome> {
  const env = request.environment;
  const to = await chooseRollbackTarget(project, env, request.to);
  return hooks.run('rollback', (o) =>
    runDeployment(
      project,
      {
        environment: env,
        kind: 'rollback',
        version: to,
        ...(request.reason ? { reason: request.reason } : {}),
        ...(request.down ? { runDownMigrations: true } : {}),
      },
      o,
    ),
  );
}

/** The named release, else the one that served before the one serving now (from the ledger's switches). */
export async function chooseRollbackTarget(
  project: Project,
  env: string,
  named: string | undefined,
): Promise<string> {
  // A name that is not there is bad input, refused before any host is asked.
  environmentConfig(project.config, env);
  if (named !== undefined) await requireRelease(project, named);
  // What runs where decides the release to go back to; the event sync runs beside it (same bridges).
  const [, observed] = await Promise.all([
    syncAgentEvents(project, hostsToSync(project, env)),
    observeHosts(hostsOf(project, env), project.config.app),
  ]);
  const current = observed.find((o) => o.active)?.active?.release ?? null;
  const switches = await project.store.listEvents({
    app: project.config.app,
    environment: env,
    kinds: ['traffic.switched'],
    limit: 200,
  });
  const to =
    named ??
    chooseRollbackRelease(
      switches.flatMap((e) => (e.release ? [e.release] : [])),
      current,
    );
  if (!to)
    throw new SlipwayError(`there is no earlier release of ${project.config.app} in ${env} to roll back to`);
  if (to === current)
    throw new SlipwayError(`${to} already serves ${env}`, { hint: 'name another release with --to' });
  return to;
}
