import type { ControlPlane } from '../control-plane/control-plane.js';
import type { Plan } from '../plan/steps.js';

/** Appends an event about a deployment to the ledger: its app, environment, id and release, by the acting person. */
export async function appendDeploymentEvent(
  cp: Pick<ControlPlane, 'store' | 'clock' | 'actor'>,
  plan: Pick<Plan, 'app' | 'environment' | 'deploymentId' | 'release'>,
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
