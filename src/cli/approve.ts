import { describeRequirements } from '../pipeline/evaluate-approvals.js';
import { decideApproval, type ApprovalOutcome } from '../operations/decide-approval.js';
import { withProject, type GlobalOptions } from './project.js';
import { green, red } from './progress-renderer.js';

/**
 * `slipway approve <deployment>` and `slipway reject <deployment> --comment …`, recorded in the ledger (declared
 * with their options in shared-verbs.ts).
 */
export const approveHere =
  (globals: () => GlobalOptions) =>
  async (target: string, opts: { comment?: string }): Promise<void> => {
    await withProject(globals(), async (project) =>
      printOutcome(await decideApproval(project, target, 'approve', opts.comment)),
    );
  };

export const rejectHere =
  (globals: () => GlobalOptions) =>
  async (target: string, opts: { comment: string }): Promise<void> => {
    await withProject(globals(), async (project) =>
      printOutcome(await decideApproval(project, target, 'reject', opts.comment)),
    );
  };

function printOutcome(o: ApprovalOutcome): void {
  if (o.kind === 'already-approved') {
    process.stdout.write(`the ${o.subject} is already approved by ${o.approvedBy.join(', ')}\n`);
  } else if (o.decision === 'reject') {
    process.stdout.write(red(`✖ rejected the ${o.subject} (deployment ${o.deploymentId})\n`));
  } else if (o.state === 'approved') {
    process.stdout.write(green(`✔ approved: the ${o.subject} may go on (deployment ${o.deploymentId})\n`));
  } else {
    process.stdout.write(
      `✔ approved; still needed: ${describeRequirements(o.missing)} (deployment ${o.deploymentId})\n`,
    );
  }
}
