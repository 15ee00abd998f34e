import { InputError, SlipwayError, UnknownNameError } from '../core/errors.js';
import { APPROVAL_EVENT_KINDS, approvalPolicy, loadApprovalDecisions } from '../executor/approval-waiter.js';
import { isLockStale } from '../executor/deploy-lock.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import {
  checkApprover,
  describeRequirements,
  evaluateApprovals,
  type ApprovalRequirement,
} from '../pipeline/evaluate-approvals.js';
import type { AwaitApprovalStep, Plan } from '../plan/steps.js';
import type { DeploymentRecord } from '../store/index.js';

/** What an approve or reject did; `slipway approve` prints it, the server answers it. */
export interface ApprovalOutcome {
  /** `already-approved`: an approval of an approved deployment, not recorded again. */
  kind: 'recorded' | 'already-approved';
  decision: 'approve' | 'reject';
  deploymentId: string;
  /** e.g. `deploy of 1.2.0 to production`. */
  subject: string;
  state: 'approved' | 'rejected' | 'pending';
  approvedBy: string[];
  missing: ApprovalRequirement[];
}

/**
 * Records the actor's approval or rejection of a deployment waiting for approvals, in the ledger, after the
 * team: rules of slipway.yml (roles, self-approval); answers the approvals' state after it.
 */
export async function decideApproval(
  cp: ControlPlane,
  target: string,
  decision: 'approve' | 'reject',
  comment: string | undefined,
): Promise<ApprovalOutcome> {
  if (decision === 'reject' && !comment?.trim()) {
    throw new InputError('a rejection needs a reason: --comment "…"');
  }
  const deployment = await findDeployment(cp, target);
  const step = approvalStepOf(deployment.plan as Plan);
  if (!step) {
    throw new SlipwayError(`deployment ${deployment.id} does not wait for approvals`, {
      hint: `add approvals: to environments.${deployment.environment} in slipway.yml to require them`,
    });
  }
  if (deployment.outcome !== null) {
    throw new SlipwayError(`deployment ${deployment.id} already ended (${deployment.outcome})`);
  }
  const scope = {
    app: deployment.app,
    environment: deployment.environment,
    deploymentId: deployment.id,
    release: deployment.releaseVersion,
    requestedBy: deployment.createdBy,
  };
  const policy = approvalPolicy(step, scope, cp.config.team);
  const allowed = checkApprover(policy, cp.actor);
  if (!allowed.ok) {
    throw new SlipwayError(`${cp.actor} may not ${decision} deployment ${deployment.id}: ${allowed.reason}`, {
      hint: `the ${step.subject} needs ${describeRequirements(step.requirements)} (team: in slipway.yml)`,
    });
  }
  const outcome = (kind: ApprovalOutcome['kind'], state: ReturnType<typeof evaluateApprovals>) => ({
    kind,
    decision,
    deploymentId: deployment.id,
    subject: step.subject,
    state: state.state,
    approvedBy: state.approvedBy,
    missing: state.missing,
  });
  const before = evaluateApprovals(policy, await loadApprovalDecisions(cp.store, scope), cp.clock.nowMs());
  if (before.state === 'approved' && decision === 'approve') return outcome('already-approved', before);
  const verb = decision === 'approve' ? 'approved' : 'rejected';
  await cp.store.appendEvent({
    atMs: cp.clock.nowMs(),
    actor: cp.actor,
    app: deployment.app,
    environment: deployment.environment,
    kind: decision === 'approve' ? APPROVAL_EVENT_KINDS.granted : APPROVAL_EVENT_KINDS.rejected,
    deploymentId: deployment.id,
    release: deployment.releaseVersion,
    message: `${allowed.person} (${allowed.roles.join(', ')}) ${verb} the ${step.subject}${comment ? `: ${comment}` : ''}`,
    data: { comment: comment ?? null, person: allowed.person, roles: allowed.roles },
  });
  const after = evaluateApprovals(policy, await loadApprovalDecisions(cp.store, scope), cp.clock.nowMs());
  return outcome('recorded', after);
}

/** A deployment by id, or the deployment running now in an environment of that name. */
async function findDeployment(cp: ControlPlane, target: string): Promise<DeploymentRecord> {
  if (Object.hasOwn(cp.config.environments, target)) {
    const lock = await cp.store.getLock(cp.config.app, target);
    const running = lock && !isLockStale(lock) ? await cp.store.getDeployment(lock.deploymentId) : undefined;
    if (!running) throw new SlipwayError(`no deployment is running in ${target}`);
    return running;
  }
  const deployment = await cp.store.getDeployment(target);
  if (!deployment || deployment.app !== cp.config.app) {
    throw new UnknownNameError(`no deployment ${target} of ${cp.config.app}`, {
      hint: '"slipway history <env>" lists deployments with their ids',
    });
  }
  return deployment;
}

function approvalStepOf(plan: Plan): AwaitApprovalStep | undefined {
  for (const stage of plan.stages) {
    for (const step of stage.steps) if (step.kind === 'await-approval') return step;
  }
  return undefined;
}
