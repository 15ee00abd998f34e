import type { TeamConfig } from '../config/approvals-schema.js';
import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import {
  describeRequirements,
  evaluateApprovals,
  type ApprovalDecision,
  type ApprovalPolicy,
  type ApprovalState,
} from '../pipeline/evaluate-approvals.js';
import type { AwaitApprovalStep } from '../plan/steps.js';
import type { Store } from '../store/index.js';
import { sleepUnlessAborted } from '../core/sleep.js';

export const APPROVAL_EVENT_KINDS = {
  requested: 'approval.requested',
  granted: 'approval.granted',
  rejected: 'approval.rejected',
} as const;

export interface ApprovalScope {
  app: string;
  environment: string;
  deploymentId: string;
  release: string;
  /** Who started the deployment (self-approval is checked against this). */
  requestedBy: string;
}

export function approvalPolicy(
  step: AwaitApprovalStep,
  scope: ApprovalScope,
  team: TeamConfig,
): ApprovalPolicy {
  return {
    requirements: step.requirements,
    allowSelfApproval: step.allowSelfApproval,
    expiresAfterMs: step.expiresAfterMs,
    requestedBy: scope.requestedBy,
    environment: scope.environment,
    team,
  };
}

/** The approvals and rejections recorded for a deployment (the ledger is where they live). */
export async function loadApprovalDecisions(
  store: Store,
  scope: { app: string; deploymentId: string },
): Promise<ApprovalDecision[]> {
  const events = await store.listEvents({
    app: scope.app,
    deploymentId: scope.deploymentId,
    kinds: [APPROVAL_EVENT_KINDS.granted, APPROVAL_EVENT_KINDS.rejected],
    limit: 1000,
  });
  return events.map((e) => ({
    actor: e.actor,
    decision: e.kind === APPROVAL_EVENT_KINDS.granted ? 'approve' : 'reject',
    atMs: e.atMs,
    comment: commentOf(e.data),
  }));
}

function commentOf(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || !('comment' in data)) return null;
  return typeof data.comment === 'string' ? data.comment : null;
}

/**
 * Runs an await-approval step: records the request once (a resumed deployment does not ask again), then
 * re-reads the ledger until the decisions satisfy the policy, or a rejection fails the step.
 */
export class ApprovalWaiter {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly scope: ApprovalScope,
    private readonly team: TeamConfig,
    private readonly pollMs = 250,
  ) {}

  async wait(step: AwaitApprovalStep, signal: AbortSignal): Promise<ApprovalState> {
    await this.#recordRequestOnce(step);
    const policy = approvalPolicy(step, this.scope, this.team);
    for (;;) {
      const decisions = await loadApprovalDecisions(this.store, this.scope);
      const state = evaluateApprovals(policy, decisions, this.clock.nowMs());
      if (state.state === 'approved') return state;
      if (state.state === 'rejected') {
        const who = state.rejectedBy?.person ?? 'someone';
        const why = state.rejectedBy?.comment ? `: ${state.rejectedBy.comment}` : '';
        throw new SlipwayError(`the ${step.subject} was rejected by ${who}${why}`, {
          hint: 'nothing was changed; deploy again once the reason is addressed',
        });
      }
      await sleepUnlessAborted(this.pollMs, signal);
    }
  }

  async #recordRequestOnce(step: AwaitApprovalStep): Promise<void> {
    const earlier = await this.store.listEvents({
      app: this.scope.app,
      deploymentId: this.scope.deploymentId,
      kinds: [APPROVAL_EVENT_KINDS.requested],
      limit: 1,
    });
    if (earlier.length > 0) return;
    await this.store.appendEvent({
      atMs: this.clock.nowMs(),
      actor: this.scope.requestedBy,
      app: this.scope.app,
      environment: this.scope.environment,
      kind: APPROVAL_EVENT_KINDS.requested,
      deploymentId: this.scope.deploymentId,
      release: this.scope.release,
      message: `the ${step.subject} waits for approval by ${describeRequirements(step.requirements)} (slipway approve ${this.scope.deploymentId})`,
      data: { subject: step.subject, requirements: step.requirements },
    });
  }
}
