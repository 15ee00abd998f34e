import { parseSecretFingerprintRecord, SECRETS_FINGERPRINTED } from '../core/secret-fingerprint.js';
import { edgeRouteKey, type AgentState, type RouteStatus } from '../agent/protocol.js';
import { hostName } from '../config/config-values.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { environmentConfig, environmentRoute } from '../config/environment-config.js';
import { findEnvironmentRoute, hasTargetPrefix, routeKeyOf } from '../config/config-values-front-door.js';
import { hostsOf } from '../hosts/hosts-of.js';
import { isLockStale } from '../executor/deploy-lock.js';
import { derivePhase } from '../executor/derive-phase.js';
import { deriveStepNote } from '../executor/step-note.js';
import type { Host } from '../hosts/host.js';
import type { LocalHost } from '../hosts/local-host.js';
import { AgentNotRunningError } from '../hosts/ssh-errors.js';
import { loadDatabaseLedgerStatus } from '../migrate/held-migrations.js';
import { loadMonitorStatus } from '../monitor/monitor-status.js';
import { titleStep } from '../plan/describe-step.js';
import type { Plan } from '../plan/steps.js';
import { describeFailure } from '../verify/verification-check.js';
import { collectPipelineStatus } from './collect-pipeline-status.js';
import { deriveEdgeStatus, type EdgeStatusView } from './derive-edge-status.js';
import { deriveFrontDoorStatus } from './derive-front-door-status.js';
import { deriveMaintenanceStatus } from './derive-maintenance-status.js';

/** What `slipway status` and the server's environments read: the control plane plus the local host. */
export interface StatusProject extends ControlPlane {
  local: LocalHost;
}

export type EnvironmentStatus = Awaited<ReturnType<typeof collectStatus>>;
export type HostStatus = Awaited<ReturnType<typeof collectHostStatus>>;

/** The step a running deployment is at, e.g. `wait for promote (stage "wait for promote", 5 of 9)`. */
async function describeCurrentStep(
  project: StatusProject,
  deploymentId: string,
  plan: Plan,
): Promise<string | null> {
  const running = (await project.store.listSteps(deploymentId)).filter((s) => s.status === 'running').at(-1);
  if (!running) return null;
  let index = 0;
  for (const [n, stage] of plan.stages.entries()) {
    for (const step of stage.steps) {
      if (index++ === running.index)
        return `${titleStep(step)} on ${step.host} (stage "${stage.name}", ${n + 1} of ${plan.stages.length})${waitingFor(running.output)}`;
    }
  }
  return null;
}

/** What a waiting step said it waits for (e.g. the promotion gate's inconclusive verdict), as a suffix. */
function waitingFor(output: unknown): string {
  const waiting = deriveStepNote(output);
  return waiting === null ? '' : `: ${waiting}`;
}

/**
 * The agent's state on `host`; null when no agent runs there. Status only reads: it starts no agent (one
 * stopped on purpose stays stopped; a deploy or `slipway agent start` starts it, and it adopts its targets).
 */
async function readAgentState(host: Host): Promise<AgentState | null> {
  try {
    return await (await host.agent({ start: false })).call('state', {});
  } catch (err) {
    if (err instanceof AgentNotRunningError) return null;
    throw err;
  }
}

/** One host's part of the status; an unreachable host is reported, not fatal. */
export async function collectHostStatus(project: StatusProject, host: Host, environment: string) {
  // The environment's route (`<app>@<environment>` with domains) and its targets, apart from its other environments'.
  const selector = environmentRoute(project.config, environment);
  try {
    const state = await readAgentState(host);
    const app = project.config.app;
    const found = findEnvironmentRoute(state?.routes ?? [], selector);
    // Without domains, its own targets from when it had them (`<app>_<environment>-…`) are shown too.
    const ownTarget = (id: string) =>
      found.targetPrefixes.some((p) => hasTargetPrefix(id, app, p)) ||
      (selector.targetPrefix === app && id.startsWith(`${app}_${environment}-`));
    return {
      host: host.name,
      error: null,
      agent: state ? { pid: state.pid, version: state.agentVersion } : null,
      route: found.route,
      targets: (state?.targets ?? []).filter((t) => t.app === app && ownTarget(t.id)),
    };
  } catch (err) {
    return {
      host: host.name,
      error: err instanceof Error ? err.message : String(err),
      agent: null,
      route: null,
      targets: [],
    };
  }
}

export async function collectStatus(project: StatusProject, environment: string) {
  const envConfig = environmentConfig(project.config, environment);
  const hosts = await Promise.all(
    hostsOf(project, environment).map((host) => collectHostStatus(project, host, environment)),
  );
  const [last] = await project.store.listDeployments({ app: project.config.app, environment, limit: 1 });
  const lock = await project.store.getLock(project.config.app, environment);
  const currentStep =
    last && last.outcome === null ? await describeCurrentStep(project, last.id, last.plan as Plan) : null;
  const [verdict] = last
    ? await project.store.listEvents({
        app: project.config.app,
        environment,
        kinds: ['canary.verdict'],
        limit: 1,
      })
    : [];
  // What the last deployment changed of the secrets (names only), as its fingerprints event says.
  const [fingerprinted] = last
    ? await project.store.listEvents({
        app: project.config.app,
        environment,
        kinds: [SECRETS_FINGERPRINTED],
        limit: 1,
      })
    : [];
  const pipeline = await collectPipelineStatus(
    project,
    environment,
    last?.outcome === null ? { id: last.id, plan: last.plan as Plan } : null,
  );
  const serving =
    hosts.flatMap((h) => h.targets.filter((t) => t.id === h.route?.active)).map((t) => t.release)[0] ?? null;
  const verified = serving
    ? await project.store.latestVerification({ app: project.config.app, environment, release: serving })
    : undefined;
  const lastPhase = last ? derivePhase(last, lock?.deploymentId === last.id && !isLockStale(lock)) : null;
  const edge = await readEdge(
    project,
    environment,
    last && lastPhase !== null ? { id: last.id, phase: lastPhase } : null,
  );
  return {
    environment,
    strategy: envConfig.strategy.kind,
    publicPort: envConfig.publicPort,
    bindAddress: envConfig.bindAddress,
    hosts,
    /** Its route on the hosts' (or its edge's) front door: names, ports, certificates; null without one. */
    frontDoor: deriveFrontDoorStatus(
      edge?.route ? [...hosts, { host: edge.host, route: edge.route }] : hosts,
      project.clock.nowMs(),
    ),
    lastDeployment: last
      ? {
          id: last.id,
          kind: last.kind,
          release: last.releaseVersion,
          by: last.createdBy,
          atMs: last.createdAtMs,
          phase: derivePhase(last, lock?.deploymentId === last.id && !isLockStale(lock)),
          error: last.error,
          currentStep,
        }
      : null,
    edge: edge?.view ?? null,
    /** Maintenance mode of its routes (the edge's and each host's); a host that could not be read is unknown. */
    maintenance: deriveMaintenanceStatus([
      ...(edge ? [{ host: `edge ${edge.host}`, route: edge.route ?? undefined }] : []),
      ...hosts.map((h) => ({
        host: h.host,
        route: h.error !== null || h.agent === null ? undefined : h.route,
      })),
    ]),
    secretChanges:
      fingerprinted && fingerprinted.deploymentId === last?.id
        ? {
            message: fingerprinted.message,
            changes: parseSecretFingerprintRecord(fingerprinted.data)?.changes ?? null,
          }
        : null,
    canaryVerdict:
      verdict && verdict.deploymentId === last?.id
        ? { atMs: verdict.atMs, message: verdict.message, verdict: verdict.data }
        : null,
    monitoring: await loadMonitorStatus(project.store, project.config.app, environment),
    database: envConfig.database
      ? await loadDatabaseLedgerStatus(project.store, project.config.app, environment)
      : null,
    ...pipeline,
    verification: verified
      ? {
          release: verified.release,
          passed: verified.passed,
          atMs: verified.atMs,
          checks: verified.checks.length,
          failures: verified.checks.filter((c) => !c.passed).map(describeFailure),
        }
      : null,
    lock: lock
      ? {
          holder: lock.holder,
          sinceMs: lock.acquiredAtMs,
          deploymentId: lock.deploymentId,
          stale: isLockStale(lock),
        }
      : null,
  };
}

/**
 * The environment's edge and its members (in rotation, ejected since when and why, disabled), read from the edge
 * host's agent, with its route as that agent reports it (null when it could not be read); null without an edge.
 * An edge host that cannot be asked is reported, not fatal.
 */
async function readEdge(
  project: StatusProject,
  environment: string,
  lastDeployment: { id: string; phase: string } | null,
): Promise<{ view: EdgeStatusView; host: string; route: RouteStatus | null } | null> {
  const envConfig = environmentConfig(project.config, environment);
  const edge = envConfig.edge;
  if (!edge) return null;
  const name = hostName(edge.host);
  const input = {
    host: name,
    bindAddress: edge.bindAddress,
    publicPort: edge.publicPort,
    healthyThreshold: project.config.healthCheck.healthyThreshold,
    lastDeployment,
  };
  // The edge of an environment with domains is keyed by its route key (`<app>@<environment>`).
  const key = edgeRouteKey(routeKeyOf(project.config.app, environment, envConfig));
  const answer = (route: RouteStatus | null, error: string | null) => ({
    view: deriveEdgeStatus({ ...input, route, error }),
    host: name,
    route,
  });
  try {
    const host = project.hosts.get(name);
    if (!host) throw new Error(`host ${name} is not configured`);
    const state = await readAgentState(host);
    if (state === null) return answer(null, 'agent not running');
    return answer(state.routes.find((r) => r.app === key) ?? null, null);
  } catch (err) {
    return answer(null, `unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
}
