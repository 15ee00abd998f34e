import { preparePlan } from '../executor/prepare-plan.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { describePlan } from '../plan/describe-plan.js';
import { NEW_ID, type Plan } from '../plan/steps.js';
import { resolveReleaseVersion } from '../control-plane/resolve-release-version.js';

/**
 * The plan a deploy of a release to an environment would run now, and its text as `slipway plan` prints it. Its
 * deployment and the targets it would start have no ids yet (`<new>`): a deploy gives them when it runs, planning
 * again from what runs then.
 */
export async function planDeployment(
  cp: ControlPlane,
  environment: string,
  version: string | undefined,
): Promise<{ plan: Plan; text: string }> {
  const release = await resolveReleaseVersion(cp, version);
  // Only shown: it starts no agent (a host whose agent is stopped is planned as running nothing, and said so).
  const plan = await preparePlan(cp, { environment, kind: 'deploy', version: release }, NEW_ID, {
    startAgents: false,
  });
  return { plan, text: describePlan(plan) };
}
