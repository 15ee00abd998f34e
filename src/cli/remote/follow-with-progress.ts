import { formatDurationMs } from '../../core/duration.js';
import { SlipwayError } from '../../core/errors.js';
import {
  describeAlreadyServing,
  describeDeploymentSubject,
  describePlanHeading,
  describePlanStrategy,
} from '../../plan/describe-plan.js';
import type { Plan } from '../../plan/steps.js';
import type { JobRecord } from '../../server/api-types.js';
import { bold, createProgressRenderer, dim, green, red, yellow } from '../progress-renderer.js';
import type { ApiClient } from './api-client.js';
import { followJob } from './follow-job.js';
import type { ServingHost } from '../../operations/deploy.js';
import { describeNowServing } from '../describe-now-serving.js';

/** How to call the CLI against the same server again, for the hints printed on detach. */
export function remoteCommand(client: ApiClient, args: string): string {
  return `slipway --server ${client.server} ${args}`;
}

/**
 * Follows a deploy, rollback or resume job with the live view a local deploy has, and ends as a local deploy
 * does: exit 0 when the release is live, an error (exit 1) when the deployment failed or was rolled back.
 * Ctrl-C detaches: the deployment goes on on the server, and the way back to it is printed (exit 130).
 */
export async function followWithProgress(
  client: ApiClient,
  start: {
    job: JobRecord | null;
    deploymentId: string | null;
    environment: string | null;
    /** A resume: what the routers serve now, for the heading (see describeNowServing). */
    serving?: readonly ServingHost[];
  },
): Promise<void> {
  const aborter = new AbortController();
  const onSigint = (): void => aborter.abort();
  // SIGTERM (a cancelled CI job) and SIGHUP detach as Ctrl-C does.
  for (const signal of DETACH_SIGNALS) process.on(signal, onSigint);
  const startedMs = Date.now();
  if (start.job) {
    process.stdout.write(
      dim(`${start.job.kind} job ${start.job.id} queued on ${client.server} by ${start.job.requestedBy}\n`),
    );
  }
  // Set once the deployment was seen: an unknown id given to `follow` is an error of its own.
  let following: string | null = null;
  try {
    const result = await followJob(
      client,
      { jobId: start.job?.id ?? null, deploymentId: start.deploymentId },
      {
        reporter: createProgressRenderer(process.stdout),
        signal: aborter.signal,
        onJobNote: (note) => process.stdout.write(dim(`${note}\n`)),
        onPlan: (plan) => {
          following = plan.deploymentId;
          printHeading(client, plan, start.job?.kind ?? 'deploy', start.serving);
        },
      },
    ).catch((err: unknown) => {
      // Losing the server loses the view, not the deployment: say how to get the view back.
      if (!following || !(err instanceof SlipwayError)) throw err;
      throw new SlipwayError(`stopped following deployment ${following}: ${err.message}`, {
        cause: err,
        hint: `it goes on on the server; follow it again with: ${remoteCommand(client, `follow ${following}`)}`,
      });
    });
    if (result.kind === 'detached') {
      const id = result.deploymentId;
      const env = start.environment ?? result.job?.environment ?? '<env>';
      process.stderr.write(
        yellow(
          `\ndetached: ${id ? `deployment ${id}` : `job ${result.job?.id ?? ''}`} goes on on the server.\n` +
            (id ? `  follow it again: ${remoteCommand(client, `follow ${id}`)}\n` : '') +
            `  its state:       ${remoteCommand(client, `status ${env}`)}\n` +
            (id ? `  stop it:         ${remoteCommand(client, `abort ${id}`)}\n` : ''),
        ),
      );
      process.exitCode = 130;
      return;
    }
    const took = formatDurationMs(Date.now() - startedMs);
    const { deployment, job } = result;
    if (!deployment) {
      // Refused before planning (no such release, a gate, nothing to roll back to): the server's words say why.
      if (job?.error) throw new SlipwayError(job.error);
      throw new SlipwayError(`the ${job?.kind ?? ''} job ended without a deployment`, {
        hint: `"${remoteCommand(client, `history ${start.environment ?? ''}`.trim())}" shows what happened`,
      });
    }
    switch (deployment.outcome) {
      case 'succeeded':
        process.stdout.write(
          green(`✔ ${deployment.release} is live in ${deployment.environment} (${took})\n`),
        );
        if (job?.state === 'failed')
          throw new SlipwayError(job.error ?? 'the job failed after the deployment');
        return;
      case null:
        // The job ended but the deployment did not: the server stopped or lost it midway.
        process.stdout.write(
          yellow(
            `■ deployment ${deployment.id} interrupted on the server; continue it with: ${remoteCommand(client, `deploy ${deployment.environment} --resume`)}\n`,
          ),
        );
        throw new SlipwayError(job?.error ?? `deployment ${deployment.id} was interrupted`);
      case 'rolled-back':
      case 'failed':
      case 'aborted': {
        const served = deployment.previous
          ? `${deployment.previous} still serves`
          : 'nothing was serving before';
        process.stderr.write(
          red(
            `✖ ${describeDeploymentSubject(deployment.kind, deployment.release, deployment.environment)} failed (${took}); ${deployment.outcome === 'rolled-back' ? served : 'see status'}\n`,
          ),
        );
        throw new SlipwayError(deployment.error ?? 'deployment failed');
      }
    }
  } finally {
    for (const signal of DETACH_SIGNALS) process.off(signal, onSigint);
  }
}

const DETACH_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The line a local deploy prints when its plan exists, and where to approve it if it waits for that. */
function printHeading(
  client: ApiClient,
  plan: Plan,
  jobKind: string,
  serving: readonly ServingHost[] | undefined,
): void {
  const heading = describePlanHeading(plan, jobKind === 'resume' ? 'resuming' : 'running');
  const nowServing = describeNowServing(plan.previous?.release ?? null, serving);
  process.stdout.write(
    `${bold(heading)} ${dim(`(${describePlanStrategy(plan)}, deployment ${plan.deploymentId}${nowServing ? `, now serving ${nowServing}` : ''})`)}\n`,
  );
  for (const line of describeAlreadyServing(plan)) process.stdout.write(`  ${line}\n`);
  if (plan.stages.some((s) => s.steps.some((step) => step.kind === 'await-approval'))) {
    process.stdout.write(
      `  waits for approval first: ${remoteCommand(client, `approve ${plan.deploymentId}`)} (or reject it with --comment)\n`,
    );
  }
}
