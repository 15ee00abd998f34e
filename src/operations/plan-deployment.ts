import { preparePlan } from '../executor/prepare-plan.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { describePlan } from '../plan/describe-plan.js';
import { NEW_ID, type Plan } from '../plan/steps.js';
import { NotFoundError } from '../core/errors.js';

/** The release a command is about: the one named, else the newest. */
export async function resolveReleaseVersion(
  cp: Pick<ControlPlane, 'store' | 'config'>,
  version: string | undefined,
): Promise<string> {
  if (version) return version;
  const [newest] = await cp.store.listReleases(cp.config.app);
  if (!newest) {
    throw new NotFoundError(`there are no releases of ${cp.config.app} yet`, {
      hint: 'create one: slipway release create --version 1.0.0',
    });
  }
  return newest.version;
}

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
