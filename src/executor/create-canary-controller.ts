import { hostName } from '../config/config-values.js';
import type { SlipwayConfig } from '../config/schema.js';
import type { Plan } from '../plan/steps.js';
import { deriveCanaryEndpoint, type CanaryEndpoint } from './canary-endpoints.js';
import type { CanaryController } from './canary-controller.js';
import { SignalWatcher, type DeploymentSignal } from './deployment-signals.js';
import { numberStages } from './execute-plan.js';
import type { ControlPlane } from '../control-plane/control-plane.js';

/**
 * The controller of a canary plan, set up for this run: where its probes and checks reach the canary hosts'
 * routers, and on a resume whether the canary already had traffic (judging starts at once, not at the next
 * set-weight step, which may never come when only a pause is left) and which promote signals the finished
 * steps already consumed.
 */
export async function createCanaryController(
  cp: ControlPlane,
  plan: Plan,
  completed: ReadonlySet<number>,
): Promise<CanaryController | undefined> {
  if (!plan.canary) return undefined;
  const finished = numberStages(plan.stages)
    .flatMap((stage) => stage.steps)
    .filter(({ index }) => completed.has(index));
  const trafficStarted = finished.some(
    ({ step }) =>
      (step.kind === 'set-weight' && step.weight > 0) ||
      (step.kind === 'switch-traffic' && step.targetId === plan.canary?.canary.targetId),
  );
  const records =
    completed.size > 0
      ? (await cp.store.listSteps(plan.deploymentId)).filter((s) => s.status === 'succeeded')
      : [];
  const consumed = records.map((s) => signalSeqOf(s.output)).filter((seq): seq is number => seq !== null);
  // The last finished wait: when a person's promote ended it, the promotion gate honours it after the resume too.
  const lastWait = finished
    .filter(({ step }) => step.kind === 'pause' || (step.kind === 'analyze' && !step.promotionGate))
    .at(-1);
  const lastWaitOutput = records.find((r) => r.index === lastWait?.index)?.output;
  const goAhead = goAheadOf(lastWaitOutput);
  // The controller and the canary's judge (statistics, checks) load for a canary plan only: a switch such as a
  // warm rollback parses none of them.
  const { CanaryController } = await import('./canary-controller.js');
  return new CanaryController(
    plan.canary,
    cp.hosts,
    new SignalWatcher(
      cp.store,
      { app: plan.app, environment: plan.environment, deploymentId: plan.deploymentId },
      undefined,
      consumed,
    ),
    cp.store,
    cp.clock,
    { actor: cp.actor, environment: plan.environment, deploymentId: plan.deploymentId },
    {
      trafficStarted,
      endpoints: deriveCanaryEndpoints(cp.config, plan),
      ...(goAhead ? { goAhead } : {}),
    },
  );
}

/** Each canary host's router as the control plane reaches it: its address and what the router listens on. */
export function deriveCanaryEndpoints(config: SlipwayConfig, plan: Plan): CanaryEndpoint[] {
  const env = Object.hasOwn(config.environments, plan.environment)
    ? config.environments[plan.environment]
    : undefined;
  const watch = plan.canary;
  if (!env || !watch) return [];
  const bindOf = new Map(
    plan.stages
      .flatMap((s) => s.steps)
      .flatMap((step) => (step.kind === 'ensure-route' ? [[step.host, step.bindAddress] as const] : [])),
  );
  return watch.hosts.map((name) => {
    const host = env.hosts.find((h) => hostName(h) === name);
    return deriveCanaryEndpoint({
      host: name,
      address: host === undefined || host === 'local' ? null : host.address,
      bindAddress: bindOf.get(name) ?? env.bindAddress,
      publicPort: watch.publicPort,
    });
  });
}

/** The promote kept in a finished wait step's output (`signalSeq`, `promotedBy`), if one ended it. */
function goAheadOf(output: unknown): DeploymentSignal | null {
  const seq = signalSeqOf(output);
  const actor =
    typeof output === 'object' && output !== null && 'promotedBy' in output ? output.promotedBy : null;
  return seq !== null && typeof actor === 'string'
    ? { seq, actor, message: `promote by ${actor} before the interruption` }
    : null;
}

function signalSeqOf(output: unknown): number | null {
  const seq =
    typeof output === 'object' && output !== null && 'signalSeq' in output ? output.signalSeq : null;
  return typeof seq === 'number' ? seq : null;
}
