import type { Plan } from '../plan/steps.js';
import type { NewDeployment, Store } from '../store/index.js';

/**
 * Stores a new deployment, then announces its plan. Whoever learns the deployment's id from `onPlan` must find it
 * in the store: the team server records the id on its job there, and the remote CLI reads
 * GET /deployments/:id as soon as the job shows it (announced first, a busy server answered "no deployment").
 */
export async function recordThenAnnounce(
  store: Pick<Store, 'createDeployment'>,
  deployment: NewDeployment,
  plan: Plan,
  onPlan: ((plan: Plan) => void) | undefined,
): Promise<void> {
  await store.createDeployment(deployment);
  onPlan?.(plan);
}
