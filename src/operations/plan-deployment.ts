import { readCertificateFacts } from '../agent/certificate-facts.js';
import { frontDoorHostsOf, tlsModeOf } from '../config/config-values-front-door.js';
import { environmentConfig } from '../config/environment-config.js';
import { plannedFrontDoorOf } from '../executor/front-door-certificates.js';
import { preparePlan } from '../executor/prepare-plan.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { FrontDoorPlanView } from '../plan/describe-front-door.js';
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
  const frontDoor = readFrontDoorPlan(cp, environment);
  return { plan, text: describePlan(plan, { frontDoor, nowMs: cp.clock.nowMs() }) };
}

/**
 * What the environment will serve on its hosts' front door, its certificate files read on this machine (where a
 * deploy reads them); null without `domains`.
 */
function readFrontDoorPlan(cp: ControlPlane, environment: string): FrontDoorPlanView | null {
  const env = environmentConfig(cp.config, environment);
  const door = plannedFrontDoorOf(cp.config.app, environment, env, cp.projectDir ?? process.cwd());
  if (door === null) return null;
  const tls = tlsModeOf(env);
  return {
    hosts: frontDoorHostsOf(env),
    names: door.names,
    pathPrefix: door.pathPrefix,
    httpPort: door.httpPort,
    httpsPort: door.httpsPort,
    bindAddress: door.bindAddress,
    tls:
      tls.mode === 'acme'
        ? { kind: 'acme', directory: tls.acme.directory, email: tls.acme.email }
        : tls.mode === 'files'
          ? {
              kind: 'files',
              certificates: door.certificates.map((c) => ({ ...c, facts: readCertificateFacts(c.certFile) })),
            }
          : { kind: 'none' },
  };
}
