import { planHooks } from '../plan/hook-steps.js';
import { parseDurationMs } from '../core/duration.js';
import { SlipwayError, UnknownNameError } from '../core/errors.js';
import { deriveDeploymentId } from '../core/ids.js';
import type { Secret } from '../core/secret.js';
import { DEFAULTS } from '../config/defaults.js';
import { resolveEdgeFailover } from '../config/config-values.js';
import { environmentConfig } from '../config/environment-config.js';
import { hostName, hostRolesOf } from '../config/config-values.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { planDeploy, type PlannedStrategy, type ReleaseRuntime } from '../plan/plan-deploy.js';
import { routeKeyOf, routeSelectorOf } from '../config/config-values-front-door.js';
import {
  checkCertificates,
  plannedFrontDoorOf,
  readAcmeSpec,
  readCertificates,
} from './front-door-certificates.js';
import type { EdgePlan } from '../plan/plan-input.js';
import type { Plan, Rotation } from '../plan/steps.js';
import { deriveReleaseRuntime } from '../release/release-snapshot.js';
import { loadDatabaseInputs } from '../migrate/load-database-inputs.js';
import { deriveEnvironmentUrl, deriveVerifyInput } from '../verify/derive-verify-input.js';
import { observeHosts } from '../hosts/observe-hosts.js';
import { withCurrentRegistryLogin } from './registry-check.js';
import type { HostObservation } from '../plan/plan-deploy.js';

// What a deployment needs before it changes anything: the release, the observed hosts, the plan, the secrets.

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
  /** `slipway secrets rotate`: `version` is the release that serves; its targets start again with fresh values. */
  rotation?: Rotation;
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
  options: {
    startAgents?: boolean;
    /** The hosts as the caller just observed them (a deployment looks once, under its lock). */
    observed?: HostObservation[];
  } = {},
): Promise<Plan> {
  const env = environmentConfig(cp.config, request.environment);
  // The certificate files (and an ACME CA bundle) are read and checked before anything changes.
  const projectDir = cp.projectDir ?? process.cwd();
  const frontDoor = plannedFrontDoorOf(cp.config.app, request.environment, env, projectDir);
  if (frontDoor !== null) {
    const certificates = await readCertificates(frontDoor);
    checkCertificates(request.environment, frontDoor.names, certificates, cp.clock.nowMs());
    await readAcmeSpec(frontDoor);
  }
  const release = await requireRelease(cp, request.version);
  const route = routeSelectorOf(cp.config.app, request.environment, env);
  const observed =
    options.observed ??
    (await observeHosts(hostsOf(cp, request.environment), cp.config.app, { ...options, route }));
  const agentNotRunning = observed.filter((o) => o.agentRunning === false).map((o) => o.host);
  // What serves now: a host that serves the new release already (a redeploy, a half-done rollout) is not it.
  const serving = observed.find((o) => o.active && o.active.release !== request.version);
  const currentVersion = (serving ?? observed.find((o) => o.active))?.active?.release ?? null;
  const current = currentVersion ? await cp.store.getRelease(cp.config.app, currentVersion) : undefined;
  let previousRelease: ReleaseRuntime | null = null;
  if (current)
    previousRelease = withCurrentRegistryLogin(deriveReleaseRuntime(current, request.environment), cp.config);
  const runtime = withCurrentRegistryLogin(deriveReleaseRuntime(release, request.environment), cp.config);
  const database = {
    app: cp.config.app,
    environment: request.environment,
    env,
    projectDir,
    release: runtime,
    mode: request.kind,
    runDown: request.runDownMigrations ?? false,
  };
  const loadedDatabase = await loadDatabaseInputs(database, (names) =>
    cp.loadSecrets(request.environment, names),
  );
  const hooks = planHooks(cp.config.hooks, request.environment);
  // Everything is read; from here on the plan is computed.
  const planned = planDeploy(
    {
      app: cp.config.app,
      environment: request.environment,
      ...(frontDoor === null
        ? {}
        : { route: routeKeyOf(cp.config.app, request.environment, env), frontDoor }),
      kind: request.kind,
      deploymentId: deploymentId ?? deriveDeploymentId(cp.clock.nowMs(), cp.randomSuffix()),
      hosts: env.hosts.map(hostName),
      hostRoles: hostRolesOf(env.hosts),
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
      verify: deriveVerifyInput(env, request.environment, current, projectDir),
      ...(request.rotation ? { rotation: request.rotation } : {}),
      ...(hooks ? { hooks: { byPoint: hooks, url: deriveEnvironmentUrl(env) } } : {}),
    },
    {
      env,
      pipeline: {
        notBeforeMs: request.notBeforeMs ?? null,
        freezeOverridden: request.freezeOverridden ?? false,
      },
      database: { input: database, loaded: loadedDatabase },
    },
  );
  return agentNotRunning.length > 0 ? { ...planned, agentNotRunning } : planned;
}

/** Every secret the plan's targets (and its registry pulls) need, or an error naming the missing ones before anything changes. */
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
                : step.kind === 'install-release' && step.image?.pull && step.image.login
                  ? [step.image.login.passwordSecret]
                  : [],
          ),
        ),
    ),
  ];
  return loadRequiredSecrets(cp, plan.environment, names, 'nothing was changed');
}

/**
 * The values of `names` in `environment`; one without a value stops what was asked (`stopped` says so: "nothing was
 * changed"), naming every missing secret and where a value comes from.
 */
export async function loadRequiredSecrets(
  cp: Pick<ControlPlane, 'loadSecrets' | 'config'>,
  environment: string,
  names: readonly string[],
  stopped: string,
): Promise<Map<string, Secret>> {
  const secrets = await cp.loadSecrets(environment, [...names]);
  const missing = names.filter((n) => !secrets.has(n));
  if (missing.length > 0) {
    throw new SlipwayError(
      `secret${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ha${missing.length > 1 ? 've' : 's'} no value; ${stopped}`,
      {
        hint: cp.config.environments[environment]?.encryptedSecrets
          ? `add NAME=value to the environment's encrypted file (slipway secrets edit ${environment}), give it a command under environments.${environment}.secretSources, or set SLIPWAY_SECRET_<NAME> in the environment (docs/secrets.md)`
          : `set SLIPWAY_SECRET_<NAME> (or <NAME>) in the environment, add NAME=value to .slipway/secrets/${environment}.env, or give it a command under environments.${environment}.secretSources (docs/secrets.md)`,
      },
    );
  }
  return secrets;
}
