import type { Command } from 'commander';
import { NotFoundError, SlipwayError } from '../core/errors.js';
import { APPROVAL_EVENT_KINDS, approvalPolicy, loadApprovalDecisions } from '../executor/approval-waiter.js';
import { isLockStale } from '../executor/run-deployment.js';
import { checkApprover, describeRequirements, evaluateApprovals } from '../pipeline/evaluate-approvals.js';
import type { AwaitApprovalStep, Plan } from '../plan/steps.js';
import type { DeploymentRecord } from '../store/index.js';
import { withProject, type GlobalOptions, type Project } from './project.js';
import { green, red } from './progress-renderer.js';

/** `slipway approve <deployment>` and `slipway reject <deployment> --comment …`, recorded in the ledger. */
export function registerApproveAndReject(program: Command, globals: () => GlobalOptions): void {
  program
    .command('approve')
    .description('approve a deployment that waits for approval (who approved is kept in the ledger)')
    .argument('<deployment>', 'deployment id (or an environment name: its running deployment)')
    .option('--comment <text>', 'a note kept with the approval')
    .action(async (target: string, opts: { comment?: string }) => {
      await withProject(globals(), (project) => decide(project, target, 'approve', opts.comment));
    });
  program
    .command('reject')
    .description('reject a deployment that waits for approval; it fails before changing anything')
    .argument('<deployment>', 'deployment id (or an environment name: its running deployment)')
    .requiredOption('--comment <text>', 'why (required, kept in the ledger)')
    .action(async (target: string, opts: { comment: string }) => {
      await withProject(globals(), (project) => decide(project, target, 'reject', opts.comment));
    });
}

async function decide(
  project: Project,
  target: string,
  decision: 'approve' | 'reject',
  comment: string | undefined,
): Promise<void> {
  if (decision === 'reject' && !comment?.trim()) {
    throw new SlipwayError('a rejection needs a reason: --comment "…"');
  }
  const deployment = await findDeployment(project, target);
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
  const policy = approvalPolicy(step, scope, project.config.team);
  const allowed = checkApprover(policy, project.actor);
  if (!allowed.ok) {
    throw new SlipwayError(
      `${project.actor} may not ${decision} deployment ${deployment.id}: ${allowed.reason}`,
      {
        hint: `the ${step.subject} needs ${describeRequirements(step.requirements)} (team: in slipway.yml)`,
      },
    );
  }
  const before = evaluateApprovals(
    policy,
    await loadApprovalDecisions(project.store, scope),
    project.clock.nowMs(),
  );
  if (before.state === 'approved' && decision === 'approve') {
    process.stdout.write(`the ${step.subject} is already approved by ${before.approvedBy.join(', ')}\n`);
    return;
  }
  const verb = decision === 'approve' ? 'approved' : 'rejected';
  await project.store.appendEvent({
    atMs: project.clock.nowMs(),
    actor: project.actor,
    app: deployment.app,
    environment: deployment.environment,
    kind: decision === 'approve' ? APPROVAL_EVENT_KINDS.granted : APPROVAL_EVENT_KINDS.rejected,
    deploymentId: deployment.id,
    release: deployment.releaseVersion,
    message: `${allowed.person} (${allowed.roles.join(', ')}) ${verb} the ${step.subject}${comment ? `: ${comment}` : ''}`,
    data: { comment: comment ?? null, person: allowed.person, roles: allowed.roles },
  });
  const after = evaluateApprovals(
    policy,
    await loadApprovalDecisions(project.store, scope),
    project.clock.nowMs(),
  );
  if (decision === 'reject') {
    process.stdout.write(red(`✖ ${verb} the ${step.subject} (deployment ${deployment.id})\n`));
  } else if (after.state === 'approved') {
    process.stdout.write(green(`✔ ${verb}: the ${step.subject} may go on (deployment ${deployment.id})\n`));
  } else {
    process.stdout.write(
      `✔ ${verb}; still needed: ${describeRequirements(after.missing)} (deployment ${deployment.id})\n`,
    );
  }
}

/** A deployment by id, or the deployment running now in an environment of that name. */
async function findDeployment(project: Project, target: string): Promise<DeploymentRecord> {
  if (Object.hasOwn(project.config.environments, target)) {
    const lock = await project.store.getLock(project.config.app, target);
    const running =
      lock && !isLockStale(lock) ? await project.store.getDeployment(lock.deploymentId) : undefined;
    if (!running) throw new SlipwayError(`no deployment is running in ${target}`);
    return running;
  }
  const deployment = await project.store.getDeployment(target);
  if (!deployment || deployment.app !== project.config.app) {
    throw new NotFoundError(`no deployment ${target} of ${project.config.app}`, {
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
