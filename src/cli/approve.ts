import type { Command } from 'commander';
import { describeRequirements } from '../pipeline/evaluate-approvals.js';
import { decideApproval, type ApprovalOutcome } from '../operations/decide-approval.js';
import { withProject, type GlobalOptions } from './project.js';
import { green, red } from './progress-renderer.js';

/** `slipway approve <deployment>` and `slipway reject <deployment> --comment …`, recorded in the ledger. */
export function registerApproveAndReject(program: Command, globals: () => GlobalOptions): void {
  program
    .command('approve')
    .description('approve a deployment that waits for approval (who approved is kept in the ledger)')
    .argument('<deployment>', 'deployment id (or an environment name: its running deployment)')
    .option('--comment <text>', 'a note kept with the approval')
    .action(async (target: string, opts: { comment?: string }) => {
      await withProject(globals(), async (project) =>
        printOutcome(await decideApproval(project, target, 'approve', opts.comment)),
      );
    });
  program
    .command('reject')
    .description('reject a deployment that waits for approval; it fails before changing anything')
    .argument('<deployment>', 'deployment id (or an environment name: its running deployment)')
    .requiredOption('--comment <text>', 'why (required, kept in the ledger)')
    .action(async (target: string, opts: { comment: string }) => {
      await withProject(globals(), async (project) =>
        printOutcome(await decideApproval(project, target, 'reject', opts.comment)),
      );
    });
}

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
