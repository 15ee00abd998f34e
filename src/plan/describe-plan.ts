import { NEW_ID, type Plan, type Stage } from './steps.js';
import type { AlreadyServingDecision, AlreadyServingHost } from './already-serving.js';
import { describeStep } from './describe-step.js';
import { describeFrontDoorPlan, type FrontDoorPlanView } from './describe-front-door.js';

/**
 * What a deployment moves where, as the ledger, the ✔/✖ lines and approvals say it: "deploy of 2.0.0 to
 * production", but "rollback of production to 1.0.0" (a rollback takes the environment back; no release goes
 * anywhere). Pure.
 */
export function describeDeploymentSubject(kind: string, version: string, environment: string): string {
  return kind === 'rollback'
    ? `rollback of ${environment} to ${version}`
    : `${kind} of ${version} to ${environment}`;
}

const HEADING_VERBS = {
  plan: { deploy: 'Deploy', rollback: 'Roll' },
  running: { deploy: 'Deploying', rollback: 'Rolling' },
  resuming: { deploy: 'Resuming', rollback: 'Rolling' },
} as const;

/**
 * The first words of a plan's heading: "Deploy hello 2.0.0 to production", "Roll production back to hello 1.0.0";
 * "Deploying …", "Rolling …" while it runs, "Resuming hello 2.0.0 to production" when a deploy goes on. Pure.
 */
export function describePlanHeading(
  plan: Pick<Plan, 'kind' | 'app' | 'environment'> & { release: { version: string } },
  mood: keyof typeof HEADING_VERBS,
): string {
  const what = `${plan.app} ${plan.release.version}`;
  return plan.kind === 'rollback'
    ? `${HEADING_VERBS[mood].rollback} ${plan.environment} back to ${what}`
    : `${HEADING_VERBS[mood].deploy} ${what} to ${plan.environment}`;
}

/**
 * The plan as text for `slipway plan`: stages and steps, what happens on failure, and the way back; with `frontDoor`,
 * what the environment will serve on its hosts' front door (its certificates as of `nowMs`). Pure.
 */
export function describePlan(
  plan: Plan,
  extra?: { frontDoor: FrontDoorPlanView | null; nowMs: number },
): string {
  const lines: string[] = [];
  lines.push(
    `${describePlanHeading(plan, 'plan')} (${describePlanStrategy(plan)}), deployment ${plan.deploymentId}`,
  );
  lines.push(
    plan.previous
      ? `Now serving: ${plan.previous.release} (${plan.previous.targetId})`
      : 'Now serving: nothing (first deploy)',
  );
  lines.push(...describeRotation(plan));
  if (plan.deploymentId === NEW_ID)
    lines.push(
      `${NEW_ID} marks ids given when the deploy runs (it plans again then, from what runs at that moment)`,
    );
  for (const host of plan.agentNotRunning ?? [])
    lines.push(
      `agent not running on ${host}: planned as running nothing there (the deploy starts it, and it adopts the targets it left, if any)`,
    );
  lines.push(...describeAlreadyServing(plan));
  lines.push('');
  if (extra?.frontDoor) {
    lines.push(...describeFrontDoorPlan(extra.frontDoor, extra.nowMs));
    lines.push('');
  }
  if (plan.stages.length === 0) {
    lines.push('Nothing to change.');
  } else {
    appendStages(lines, plan.stages, '');
    lines.push('');
    lines.push('If a step fails:');
    if (plan.onFailure.length === 0) lines.push('  stop; nothing served before, nothing to restore');
    else appendStages(lines, plan.onFailure, '  ');
  }
  lines.push('');
  const rollback = plan.rollback;
  if (!rollback) {
    lines.push('Rollback: none (no previous release in this environment)');
  } else {
    lines.push(`Rollback (slipway rollback ${plan.environment}) goes back to ${rollback.toRelease}:`);
    if (rollback.warm) {
      lines.push(`  while the old target is warm (until ${rollback.warm.until}), a switch only:`);
      appendStages(lines, rollback.warm.stages, '    ');
      lines.push('  after that, a cold start from the retained artifact:');
    }
    appendStages(lines, rollback.cold, '    ');
  }
  return lines.join('\n');
}

function appendStages(lines: string[], stages: Stage[], indent: string): void {
  stages.forEach((stage, i) => {
    lines.push(`${indent}${i + 1}. ${stage.name}`);
    for (const step of stage.steps) lines.push(`${indent}   - ${describeStep(step)}`);
  });
}

type Strategy = Plan['strategy'];

/**
 * What a plan that does not follow its environment's strategy does instead (planDeploy sets
 * `environmentStrategy` only for these): a rollback goes back on every host at once, a canary with nothing to
 * compare with goes straight through.
 */
const INSTEAD: { [K in Strategy]: (plan: Plan) => string } = {
  rolling: (plan) =>
    plan.kind === 'rollback'
      ? `a rollback goes back on every host at once, not in batches: ${describeHowHostsMove(plan)}`
      : describeHowHostsMove(plan),
  canary: (plan) =>
    plan.kind === 'rollback'
      ? `a rollback goes straight back, no canary: ${describeHowHostsMove(plan)}`
      : `no canary (not every host serves another release to compare with): ${describeHowHostsMove(plan)}`,
  'blue-green': describeHowHostsMove,
  recreate: describeHowHostsMove,
};

/**
 * How the plan goes through the hosts, for the headers of `slipway plan`, deploy and rollback: its strategy,
 * or, when it goes another way than the environment's strategy, that strategy and what is done instead.
 */
export function describePlanStrategy(plan: Plan): string {
  const environment = plan.environmentStrategy;
  if (environment === undefined || environment === plan.strategy) return plan.strategy;
  return `${environment} environment; ${INSTEAD[environment](plan)}`;
}

function describeHowHostsMove(plan: Plan): string {
  const steps = plan.stages.flatMap((s) => s.steps);
  if (!steps.some((s) => s.kind === 'switch-traffic')) return 'nothing to switch';
  return steps.some((s) => s.kind === 'start-target')
    ? `start ${plan.release.version}, verify, then switch every host together`
    : `a switch to the warm ${plan.release.version} targets on every host together`;
}

type ServingDescribers = {
  [K in AlreadyServingDecision['kind']]: (
    hosts: Array<AlreadyServingHost & { decision: Extract<AlreadyServingDecision, { kind: K }> }>,
    release: string,
  ) => string;
};

/** One line per decision about hosts that serve the release already; a new decision needs its line here. */
const SERVING: ServingDescribers = {
  'left-as-is': (hosts, release) =>
    `${names(hosts)} already ${hosts.length > 1 ? 'serve' : 'serves'} ${release} healthily: left as ${hosts.length > 1 ? 'they are' : 'it is'} (no new target)`,
  'restart-not-healthy': (hosts, release) =>
    `${hosts.map((h) => `${h.host} (target ${h.decision.state}, health ${h.decision.health})`).join(', ')} ${hosts.length > 1 ? 'serve' : 'serves'} ${release} but not known to be healthy: started again`,
  'restart-for-secrets': (hosts, release) =>
    `${names(hosts)} already ${hosts.length > 1 ? 'serve' : 'serves'} ${release} but ${hosts.length > 1 ? 'are' : 'is'} started again: it reads secrets (${hosts[0]?.decision.secretNames.join(', ') ?? ''}), whose values a target takes when it starts; the target it replaces is stopped, not kept warm`,
};

const DECISION_ORDER: Array<AlreadyServingDecision['kind']> = [
  'left-as-is',
  'restart-not-healthy',
  'restart-for-secrets',
];

/** What a secret rotation does, for the plan and the live view's heading (none: no lines). Pure. */
export function describeRotation(plan: Pick<Plan, 'rotation' | 'release'>): string[] {
  if (!plan.rotation) return [];
  return [
    `Rotates ${plan.rotation.secrets.join(', ')}: ${plan.release.version} starts again with the values the sources give now; nothing else changes`,
  ];
}

/** What the plan does about hosts that serve its release already (none: no lines). Pure. */
export function describeAlreadyServing(plan: Plan): string[] {
  const serving = plan.alreadyServing ?? [];
  return DECISION_ORDER.flatMap((kind) => {
    const hosts = serving.filter((s) => s.decision.kind === kind);
    if (hosts.length === 0) return [];
    return [(SERVING[kind] as (h: AlreadyServingHost[], r: string) => string)(hosts, plan.release.version)];
  });
}

function names(hosts: readonly AlreadyServingHost[]): string {
  return hosts.map((h) => h.host).join(', ');
}
