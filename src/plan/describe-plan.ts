import type { AlreadyServingDecision, AlreadyServingHost, Plan, Stage } from './steps.js';
import { describeStep } from './describe-step.js';

/** The plan as text for `slipway plan`: stages and steps, what happens on failure, and the way back. Pure. */
export function describePlan(plan: Plan): string {
  const lines: string[] = [];
  const verb = plan.kind === 'rollback' ? 'Roll back' : 'Deploy';
  lines.push(
    `${verb} ${plan.app} ${plan.release.version} to ${plan.environment} (${describePlanStrategy(plan)}), deployment ${plan.deploymentId}`,
  );
  lines.push(
    plan.previous
      ? `Now serving: ${plan.previous.release} (${plan.previous.targetId})`
      : 'Now serving: nothing (first deploy)',
  );
  lines.push(...describeAlreadyServing(plan));
  lines.push('');
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
