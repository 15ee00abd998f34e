import type { Plan, Stage } from './steps.js';
import { describeStep } from './describe-step.js';

/** The plan as text for `slipway plan`: stages and steps, what happens on failure, and the way back. Pure. */
export function describePlan(plan: Plan): string {
  const lines: string[] = [];
  const verb = plan.kind === 'rollback' ? 'Roll back' : 'Deploy';
  lines.push(
    `${verb} ${plan.app} ${plan.release.version} to ${plan.environment} (${plan.strategy}), deployment ${plan.deploymentId}`,
  );
  lines.push(
    plan.previous
      ? `Now serving: ${plan.previous.release} (${plan.previous.targetId})`
      : 'Now serving: nothing (first deploy)',
  );
  lines.push('');
  appendStages(lines, plan.stages, '');
  lines.push('');
  lines.push('If a step fails:');
  if (plan.onFailure.length === 0) lines.push('  stop; nothing served before, nothing to restore');
  else appendStages(lines, plan.onFailure, '  ');
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
