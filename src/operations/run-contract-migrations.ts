import { NotFoundError, SlipwayError } from '../core/errors.js';
import { deriveDeploymentId } from '../core/ids.js';
import { observeHosts } from '../hosts/observe-hosts.js';
import type { ExecutionResult } from '../executor/execute-plan.js';
import { environmentConfig, environmentRoute } from '../config/environment-config.js';
import { execute, type RunOptions } from '../executor/run-deployment.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { resolveSecrets } from '../executor/prepare-plan.js';
import { withDeployLock } from '../executor/deploy-lock.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { planApprovalStep } from '../plan/plan-approval.js';
import type { Plan } from '../plan/steps.js';
import { deriveReleaseRuntime } from '../release/release-snapshot.js';
import { refuseIfFrozen } from '../migrate/freeze.js';
import { loadDatabaseInputs } from '../migrate/load-database-inputs.js';
import { planDatabaseStages } from '../migrate/plan-database-stages.js';

/**
 * `slipway migrate <env> --contract`: runs the held contract migrations of the release that serves the
 * environment, as a deployment of its own (kind `migrate`) — an approval, a backup, then the migrations, with
 * a check that no target of another release runs. No traffic moves, so there is nothing to undo on failure
 * beyond the migration's own transaction. Returns null when nothing is held.
 */
export async function runContractMigrations(
  cp: ControlPlane,
  environment: string,
  options: RunOptions,
): Promise<{ plan: Plan; result: ExecutionResult } | null> {
  const env = environmentConfig(cp.config, environment);
  if (!env.database) throw new NotFoundError(`environment ${environment} has no database in slipway.yml`);
  const approvals = env.approvals;
  if (!approvals)
    throw new SlipwayError(
      `contract migrations need an approval, and ${environment} has no approvals configured`,
      {
        hint: `add approvals: { required: [{ role: approver, count: 1 }] } (and a team:) to environments.${environment}`,
      },
    );
  await refuseIfFrozen(cp.store, cp.config.app, environment);
  const deploymentId = deriveDeploymentId(cp.clock.nowMs(), cp.randomSuffix());
  return withDeployLock(cp, environment, deploymentId, options, async () => {
    const observed = await observeHosts(hostsOf(cp, environment), cp.config.app, {
      route: environmentRoute(cp.config, environment),
    });
    const active = observed.find((o) => o.active)?.active ?? null;
    if (!active) throw new SlipwayError(`nothing serves ${environment} yet: deploy a release first`);
    const older = observed.flatMap((o) =>
      o.targets
        .filter((t) => t.release !== active.release && t.state !== 'stopped')
        .map((t) => `${t.release} on ${o.host}`),
    );
    if (older.length > 0)
      throw new SlipwayError(
        `contract migrations wait until no older release runs in ${environment}; still running: ${older.join(', ')}`,
        { hint: 'try again once the old targets were retired (after keepWarm); nothing was changed' },
      );
    const record = await cp.store.getRelease(cp.config.app, active.release);
    if (!record) throw new NotFoundError(`release ${active.release} is not in the store`);
    const base: Plan = {
      app: cp.config.app,
      environment,
      kind: 'migrate',
      strategy: env.strategy.kind,
      deploymentId,
      release: { version: record.version, sha256: record.sha256 },
      previous: { release: active.release, targetId: active.targetId },
      stages: [],
      onFailure: [],
      rollback: null,
    };
    const database = {
      app: cp.config.app,
      environment,
      env,
      projectDir: cp.projectDir ?? process.cwd(),
      release: deriveReleaseRuntime(record, environment),
      mode: 'contract' as const,
      runDown: false,
    };
    const loaded = await loadDatabaseInputs(database, (names) => cp.loadSecrets(environment, names));
    // Contract migrations only add (run `up`): their stages run before traffic would move, and none moves.
    const { beforeTraffic } = planDatabaseStages(database, loaded);
    const migrate = beforeTraffic.flatMap((s) => s.steps).find((s) => s.kind === 'migrate');
    if (!migrate || migrate.kind !== 'migrate' || migrate.up.length === 0) return null;
    const subject = `contract migrations ${migrate.up.map((m) => m.name).join(', ')} on ${environment}`;
    const plan: Plan = {
      ...base,
      stages: [{ name: 'approval', steps: [planApprovalStep(subject, approvals)] }, ...beforeTraffic],
    };
    options.onPlan?.(plan);
    const secrets = await resolveSecrets(cp, plan);
    await cp.store.createDeployment({
      id: deploymentId,
      app: cp.config.app,
      environment,
      kind: 'migrate',
      releaseVersion: record.version,
      previousVersion: active.release,
      strategy: plan.strategy,
      plan,
      createdBy: cp.actor,
      createdAtMs: cp.clock.nowMs(),
      reason: 'contract migrations',
    });
    const result = await execute(cp, plan, options, secrets, new Set());
    return { plan, result };
  });
}
