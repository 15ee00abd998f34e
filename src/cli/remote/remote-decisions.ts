import { InputError, NotFoundError, SlipwayError, UnknownNameError } from '../../core/errors.js';
import type { DeploymentDetailView, DeploymentView, UnlockView } from '../../server/api-types.js';
import { dim, green, red } from '../progress-renderer.js';
import type { ApiClient } from './api-client.js';
import { remoteCommand } from './follow-with-progress.js';

type Remote = () => ApiClient;

/** What POST /deployments/:id/approve answers. */
interface ApprovalAnswer {
  state: string;
  approvedBy: string[];
  missing: unknown;
}

// `promote`, `abort`, `approve`, `reject` and `unlock` over the server: one request each, on a deployment or
// environment; declared with their options in ../shared-verbs.ts.

export const signalOnServer =
  (kind: 'promote' | 'abort') =>
  (remote: Remote) =>
  async (target: string, opts: { reason?: string }): Promise<void> => {
    const client = remote();
    const deployment = await resolveDeployment(client, target);
    await client.post(`/deployments/${encodeURIComponent(deployment.id)}/${kind}`, {
      ...(opts.reason ? { reason: opts.reason } : {}),
    });
    process.stdout.write(
      green(
        `✔ ${kind} of ${deployment.release} in ${deployment.environment} requested (deployment ${deployment.id})\n`,
      ),
    );
  };

export const approveOnServer =
  (remote: Remote) =>
  async (target: string, opts: { comment?: string }): Promise<void> => {
    const client = remote();
    const deployment = await resolveDeployment(client, target);
    const answer = await client.post<ApprovalAnswer>(
      `/deployments/${encodeURIComponent(deployment.id)}/approve`,
      opts.comment ? { comment: opts.comment } : {},
    );
    process.stdout.write(
      answer.state === 'approved'
        ? green(`✔ approved: the deployment may go on (deployment ${deployment.id})\n`)
        : `✔ approved; still needed: ${describeMissing(answer.missing)} (deployment ${deployment.id})\n`,
    );
  };

export const rejectOnServer =
  (remote: Remote) =>
  async (target: string, opts: { comment: string }): Promise<void> => {
    if (!opts.comment.trim()) throw new InputError('a rejection needs a reason: --comment "…"');
    const client = remote();
    const deployment = await resolveDeployment(client, target);
    await client.post(`/deployments/${encodeURIComponent(deployment.id)}/reject`, {
      comment: opts.comment,
    });
    process.stdout.write(red(`✖ rejected deployment ${deployment.id} of ${deployment.release}\n`));
  };

export const unlockOnServer =
  (remote: Remote) =>
  async (env: string, opts: { reason: string }): Promise<void> => {
    if (!opts.reason.trim()) throw new InputError('an unlock needs a reason: --reason "…"');
    const client = remote();
    const { removed, unfinished } = await client.post<UnlockView>(
      `/environments/${encodeURIComponent(env)}/unlock`,
      { reason: opts.reason },
    );
    process.stdout.write(
      green(
        `✔ removed the lock of ${env} held by ${removed.holder} (pid ${removed.pid} on ${removed.hostname}) since ${new Date(removed.acquiredAtMs).toISOString()}\n`,
      ),
    );
    if (unfinished)
      process.stdout.write(
        dim(
          `  its deployment ${unfinished.id} (${unfinished.kind} of ${unfinished.release}) did not finish: "${remoteCommand(client, `deploy ${env} --resume`)}" continues it, a new deploy abandons it\n`,
        ),
      );
  };

/** A deployment by id; else, taking the name as an environment, the deployment running there. */
export async function resolveDeployment(client: ApiClient, target: string): Promise<DeploymentView> {
  try {
    return (await client.get<DeploymentDetailView>(`/deployments/${encodeURIComponent(target)}`)).deployment;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  const [latest] = await client.get<DeploymentView[]>('/deployments', { environment: target, limit: 1 });
  if (latest && latest.outcome === null) return latest;
  if (latest) {
    throw new SlipwayError(`no deployment is running in ${target}`, {
      hint: `the last one, ${latest.id} (${latest.kind} of ${latest.release}), ended ${latest.outcome ?? ''}`,
    });
  }
  throw new UnknownNameError(`no deployment ${target}, and none is running in an environment of that name`, {
    hint: `"slipway --server ${client.server} history" lists deployments with their ids`,
  });
}

/** The approvals still needed, as the server lists them (strings, or requirement objects). */
function describeMissing(missing: unknown): string {
  if (typeof missing === 'string') return missing;
  if (Array.isArray(missing))
    return missing.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(', ');
  return JSON.stringify(missing);
}
