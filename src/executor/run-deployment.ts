import { hostname, userInfo } from 'node:os';
import type { Clock } from '../core/clock.js';
import { parseDurationMs } from '../core/duration.js';
import { SlipwayError, UnknownNameError } from '../core/errors.js';
import { deriveDeploymentId } from '../core/ids.js';
import type { Secret } from '../core/secret.js';
import { DEFAULTS } from '../config/defaults.js';
import { resolveEdgeFailover } from '../config/edge-schema.js';
import { hostName } from '../config/host-schema.js';
import type { EnvironmentConfig, SlipwayConfig } from '../config/schema.js';
import type { Host } from '../hosts/host.js';
import { isProcessAlive } from '../agent/process-util.js';
import { planDeploy, type PlannedStrategy, type ReleaseRuntime } from '../plan/plan-deploy.js';
import type { EdgePlan } from '../plan/plan-input.js';
import type { Plan } from '../plan/steps.js';
import { applyPipelineStages } from '../pipeline/plan-pipeline-stages.js';
import { deriveReleaseRuntime } from '../release/release-snapshot.js';
import type { LockRecord, Store } from '../store/index.js';
import { deriveCompletedSteps, deriveResumable } from './derive-phase.js';
import { ApprovalWaiter } from './approval-waiter.js';
import { createCanaryController } from './create-canary-controller.js';
import {
  executePlan,
  ON_FAILURE_BASE_INDEX,
  RECOVERY_BASE_INDEX,
  type ExecutionResult,
} from './execute-plan.js';
import { observeHosts } from './observe-hosts.js';
import { recordThenAnnounce } from './record-deployment.js';
import type { ProgressReporter } from './progress.js';
import { stepHandlers } from './step-handlers.js';
import { refuseIfFrozen, recordFreeze } from '../migrate/freeze.js';
import { addDatabaseStages, IrreversibleMigrationError } from '../migrate/prepare-database-plan.js';
import { deriveVerifyInput } from '../verify/derive-verify-input.js';

/** The wired-up ports a deployment needs; the CLI (and later the server) builds one. */
export interface ControlPlane {
  config: SlipwayConfig;
  store: Store;
  hosts: ReadonlyMap<string, Host>;
  clock: Clock;
  actor: string;
  /** Secret values for an environment, looked up by name (values never leave this map except into targets). */
  loadSecrets(environment: string, names: readonly string[]): Promise<Map<string, Secret>>;
  /** A few random characters for ids (randomness stays out of pure code). */
  randomSuffix(): string;
  /** Where backups of the app's database are kept (under `backups/`). */
  stateDir: string;
  /** The directory of slipway.yml (verification commands run there); default: the current directory. */
  projectDir?: string;
}

export interface DeploymentRequest {
  environment: string;
  kind: 'deploy' | 'rollback';
  version: string;
  reason?: string;
  /** A rollback that also runs the down migrations of what the older release does not have. */
  runDownMigrations?: boolean;
  /** `deploy --at`: the plan waits (in an `await-window` step) until this time. */
  notBeforeMs?: number | null;
  /** The deploy overrides a freeze (checked and ledgered by the pipeline runner). */
  freezeOverridden?: boolean;
}

export function environmentConfig(config: SlipwayConfig, environment: string): EnvironmentConfig {
  const env = Object.hasOwn(config.environments, environment) ? config.environments[environment] : undefined;
  if (!env) {
    throw new UnknownNameError(`no environment named "${environment}" in slipway.yml`, {
      hint: `environments: ${Object.keys(config.environments).join(', ')}`,
    });
  }
  return env;
}

export function hostsOf(cp: ControlPlane, environment: string): Host[] {
  return environmentConfig(cp.config, environment)
    .hosts.map(hostName)
    .map((name) => {
      const host = cp.hosts.get(name);
      if (!host) throw new SlipwayError(`host ${name} of ${environment} is not configured`);
      return host;
    });
}

/** The edge's upstreams are the app hosts' routers: their address (loopback for `local`) and the public port. */
function plannedEdge(env: EnvironmentConfig): EdgePlan | null {
  if (!env.edge) return null;
  return {
    host: hostName(env.edge.host),
    publicPort: env.edge.publicPort,
    bindAddress: env.edge.bindAddress,
    upstreams: env.hosts.map((h) => ({
      id: hostName(h),
      address: h === 'local' ? '127.0.0.1' : h.address,
      port: env.publicPort,
    })),
    failover: resolveEdgeFailover(env.edge),
  };
}

function plannedStrategy(env: EnvironmentConfig): PlannedStrategy {
  const ms = (t: string): number => parseDurationMs(t) ?? 0;
  const strategy = env.strategy;
  switch (strategy.kind) {
    case 'blue-green':
      return {
        kind: 'blue-green',
        keepWarmMs: ms(strategy.keepWarm),
        drainTimeoutMs: ms(strategy.drainTimeout),
      };
    case 'recreate':
      return { kind: 'recreate', drainTimeoutMs: ms(strategy.drainTimeout) };
    case 'rolling':
      return {
        kind: 'rolling',
        batchSize: strategy.batchSize,
        maxUnavailable: strategy.maxUnavailable ?? null,
        pauseBetweenBatchesMs: ms(strategy.pauseBetweenBatches),
        failureBudget: strategy.failureBudget,
        onBatchFailure: strategy.onBatchFailure,
        keepWarmMs: ms(strategy.keepWarm),
        drainTimeoutMs: ms(strategy.drainTimeout),
      };
    case 'canary':
      return {
        kind: 'canary',
        steps: strategy.steps.map((step) =>
          step.setWeight !== undefined
            ? { setWeight: step.setWeight }
            : step.setHosts !== undefined
              ? { setHosts: step.setHosts }
              : step.pause !== undefined
                ? { pauseMs: typeof step.pause === 'string' ? ms(step.pause) : null }
                : { analysisTimeoutMs: ms(step.analysis?.timeout ?? DEFAULTS.canary.inlineTimeout) },
        ),
        analysis: {
          intervalMs: ms(strategy.analysis.interval),
          minRequests: strategy.analysis.minRequests,
          confidence: strategy.analysis.confidence,
          maxErrorRate: strategy.analysis.maxErrorRate,
          errorRateTolerance: strategy.analysis.errorRateTolerance,
          maxP99Ms: strategy.analysis.maxP99 ? ms(strategy.analysis.maxP99) : null,
          latencyTolerance: strategy.analysis.latencyTolerance,
          latencyMinDifferenceMs: ms(strategy.analysis.latencyMinDifference),
          probe: strategy.analysis.probe ?? null,
          tripwire: strategy.analysis.tripwire,
          checks: strategy.analysis.checks,
        },
        header: strategy.header,
        cookie: strategy.cookie,
        keepWarmMs: ms(strategy.keepWarm),
        drainTimeoutMs: ms(strategy.drainTimeout),
      };
  }
}

/** The release record of `version`; a version that is not there is bad input (UnknownNameError). */
export async function requireRelease(cp: Pick<ControlPlane, 'store' | 'config'>, version: string) {
  const release = await cp.store.getRelease(cp.config.app, version);
  if (!release) {
    throw new UnknownNameError(`release ${version} of ${cp.config.app} does not exist`, {
      hint: `"slipway releases" lists the releases; "slipway release create --version ${version}" creates it`,
    });
  }
  return release;
}

/** Observes the hosts and plans the deployment (pure planning on observed data). Nothing is changed. */
export async function preparePlan(
  cp: ControlPlane,
  request: DeploymentRequest,
  deploymentId?: string,
  options: { startAgents?: boolean } = {},
): Promise<Plan> {
  const env = environmentConfig(cp.config, request.environment);
  const release = await requireRelease(cp, request.version);
  const observed = await observeHosts(hostsOf(cp, request.environment), cp.config.app, options);
  const agentNotRunning = observed.filter((o) => o.agentRunning === false).map((o) => o.host);
  // What serves now: a host that serves the new release already (a redeploy, a half-done rollout) is not it.
  const serving = observed.find((o) => o.active && o.active.release !== request.version);
  const currentVersion = (serving ?? observed.find((o) => o.active))?.active?.release ?? null;
  const current = currentVersion ? await cp.store.getRelease(cp.config.app, currentVersion) : undefined;
  let previousRelease: ReleaseRuntime | null = null;
  if (current) previousRelease = deriveReleaseRuntime(current, request.environment);
  const runtime = deriveReleaseRuntime(release, request.environment);
  const plan = planDeploy({
    app: cp.config.app,
    environment: request.environment,
    kind: request.kind,
    deploymentId: deploymentId ?? deriveDeploymentId(cp.clock.nowMs(), cp.randomSuffix()),
    hosts: env.hosts.map(hostName),
    publicPort: env.publicPort,
    bindAddress: env.bindAddress,
    metricsPort: env.metricsPort ?? null,
    edge: plannedEdge(env),
    strategy: plannedStrategy(env),
    release: runtime,
    previousRelease,
    observed,
    retainReleases: cp.config.retainReleases,
    nowMs: cp.clock.nowMs(),
    approval: env.approvals ?? null,
    verify: deriveVerifyInput(env, request.environment, current, cp.projectDir ?? process.cwd()),
  });
  const piped = applyPipelineStages(plan, env, {
    notBeforeMs: request.notBeforeMs ?? null,
    freezeOverridden: request.freezeOverridden ?? false,
  });
  const planned = await addDatabaseStages(piped, {
    app: cp.config.app,
    environment: request.environment,
    env,
    projectDir: cp.projectDir ?? process.cwd(),
    release: runtime,
    mode: request.kind,
    runDown: request.runDownMigrations ?? false,
    loadSecrets: (names) => cp.loadSecrets(request.environment, names),
  });
  return agentNotRunning.length > 0 ? { ...planned, agentNotRunning } : planned;
}

/**
 * This process as a lock holder: a deployment releases its lock only if this process still holds it (a server
 * replica that was presumed dead may find its lock taken over, for the same deployment, by another replica).
 */
function lockHolder(): { pid: number; hostname: string } {
  return { pid: process.pid, hostname: hostname() };
}

/** A lock is stale when its holder ran on this machine and that process is gone. */
export function isLockStale(lock: LockRecord): boolean {
  return lock.hostname === hostname() && !isProcessAlive(lock.pid);
}

export interface RunOptions {
  reporter: ProgressReporter;
  signal?: AbortSignal;
  onPlan?: (plan: Plan) => void;
  onLockTakeover?: (lock: LockRecord) => void;
  /**
   * Also takes over a lock this says is stale (beyond a dead process on this machine): the server's replica
   * that took over a job takes over its dead replica's lock, for that deployment only.
   */
  isLockStale?: (lock: LockRecord) => boolean;
}

/** Takes the environment's lock, plans, records and executes a deployment, and releases the lock. */
export async function runDeployment(
  cp: ControlPlane,
  request: DeploymentRequest,
  options: RunOptions,
): Promise<{ plan: Plan; result: ExecutionResult }> {
  const deploymentId = deriveDeploymentId(cp.clock.nowMs(), cp.randomSuffix());
  await refuseIfFrozen(cp.store, cp.config.app, request.environment);
  await withLock(cp, request.environment, deploymentId, options, async () => {
    await abandonInterrupted(cp, request.environment, deploymentId);
  });
  try {
    const plan = await preparePlan(cp, request, deploymentId).catch(async (err: unknown) => {
      // Going back across a migration that cannot be reverted: freeze and alert instead of reverting.
      if (err instanceof IrreversibleMigrationError)
        await recordFreeze(cp.store, {
          app: cp.config.app,
          environment: request.environment,
          actor: cp.actor,
          atMs: cp.clock.nowMs(),
          release: request.version,
          message: err.message,
          data: { release: request.version, migrations: err.migrations.map((m) => m.name) },
        });
      throw err;
    });
    const secrets = await resolveSecrets(cp, plan);
    const deployment = {
      id: deploymentId,
      app: cp.config.app,
      environment: request.environment,
      kind: request.kind,
      releaseVersion: request.version,
      previousVersion: plan.previous?.release ?? null,
      strategy: plan.strategy,
      plan,
      createdBy: cp.actor,
      createdAtMs: cp.clock.nowMs(),
      reason: request.reason ?? null,
    };
    await recordThenAnnounce(cp.store, deployment, plan, options.onPlan);
    const result = await execute(cp, plan, options, secrets, new Set());
    return { plan, result };
  } finally {
    await cp.store.releaseLock(cp.config.app, request.environment, deploymentId, lockHolder());
  }
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
  await withLock(cp, environment, deploymentId, options, () => Promise.resolve());
  try {
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
    }
    const completed = deriveCompletedSteps(steps, ON_FAILURE_BASE_INDEX);
    const result = await execute(cp, plan, options, secrets, completed);
    return { plan, result };
  } finally {
    await cp.store.releaseLock(cp.config.app, environment, deploymentId, lockHolder());
  }
}

/** Every secret the plan's targets need, or an error naming the missing ones before anything changes. */
export async function resolveSecrets(cp: ControlPlane, plan: Plan): Promise<Map<string, Secret>> {
  const names = [
    ...new Set(
      plan.stages
        .concat(plan.onFailure)
        .flatMap((s) =>
          s.steps.flatMap((step) =>
            step.kind === 'start-target'
              ? step.secretNames
              : step.kind === 'migrate' || step.kind === 'backup-database'
                ? [
                    ...(step.database.urlSecret ? [step.database.urlSecret] : []),
                    ...(step.kind === 'migrate' ? (step.command?.secretNames ?? []) : []),
                  ]
                : [],
          ),
        ),
    ),
  ];
  const secrets = await cp.loadSecrets(plan.environment, names);
  const missing = names.filter((n) => !secrets.has(n));
  if (missing.length > 0) {
    throw new SlipwayError(
      `secret${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ha${missing.length > 1 ? 've' : 's'} no value; nothing was changed`,
      {
        hint: `set SLIPWAY_SECRET_<NAME> (or <NAME>) in the environment, or add NAME=value to .slipway/secrets/${plan.environment}.env`,
      },
    );
  }
  return secrets;
}

export async function execute(
  cp: ControlPlane,
  plan: Plan,
  options: RunOptions,
  secrets: Map<string, Secret>,
  completed: Set<number>,
): Promise<ExecutionResult> {
  const canary = await createCanaryController(cp, plan, completed);
  const approvals = plan.stages.some((s) => s.steps.some((step) => step.kind === 'await-approval'))
    ? new ApprovalWaiter(
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
      ...(canary ? { canary } : {}),
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

async function appendDeploymentEvent(
  cp: ControlPlane,
  plan: Plan,
  event: { kind: string; message: string; data?: unknown },
): Promise<void> {
  await cp.store.appendEvent({
    atMs: cp.clock.nowMs(),
    actor: cp.actor,
    app: plan.app,
    environment: plan.environment,
    deploymentId: plan.deploymentId,
    release: plan.release.version,
    ...event,
  });
}

export async function withLock(
  cp: ControlPlane,
  environment: string,
  deploymentId: string,
  options: RunOptions,
  then: () => Promise<void>,
): Promise<void> {
  const acquisition = await cp.store.acquireLock(
    {
      app: cp.config.app,
      environment,
      holder: cp.actor,
      pid: process.pid,
      hostname: hostname(),
      deploymentId,
      atMs: cp.clock.nowMs(),
    },
    (lock) => isLockStale(lock) || (options.isLockStale?.(lock) ?? false),
  );
  if (acquisition.tookOverFrom) options.onLockTakeover?.(acquisition.tookOverFrom);
  await then();
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

export function defaultActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}
