import type { DeploymentDetailView, StepView } from '../server/api-types.js';

export interface DeploymentActions {
  approve: boolean;
  reject: boolean;
  promote: boolean;
  abort: boolean;
}

/**
 * The buttons a deployment's page shows: what the server allows this session (its grants, the deployment open),
 * narrowed to the moment each makes sense, from the live steps: approve and reject while the approval step
 * waits, promote while a canary pause or analysis waits. Abort stays while it runs. Pure.
 */
export function visibleActions(
  allowed: DeploymentDetailView['allowed'],
  steps: readonly StepView[],
): DeploymentActions {
  const running = (kinds: readonly string[]) =>
    steps.some((s) => s.status === 'running' && kinds.includes(s.kind));
  const awaitingApproval = running(['await-approval']);
  return {
    approve: allowed.approve && awaitingApproval,
    reject: allowed.reject && awaitingApproval,
    promote: allowed.promote && running(['pause', 'analyze']),
    abort: allowed.abort,
  };
}
