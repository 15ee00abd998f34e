import { parseDurationMs } from '../core/duration.js';
import { CONTROL_PLANE, type AwaitApprovalStep, type Plan } from './steps.js';

/** An environment's `approvals` settings (see config/approvals-schema.ts), as the planner needs them. */
export interface ApprovalGate {
  required: Array<{ role: string; count: number }>;
  allowSelfApproval: boolean;
  /** A duration like "24h". */
  expiresAfter: string;
}

export function planApprovalStep(subject: string, gate: ApprovalGate): AwaitApprovalStep {
  return {
    kind: 'await-approval',
    host: CONTROL_PLANE,
    subject,
    requirements: gate.required.map((r) => ({ role: r.role, count: r.count })),
    allowSelfApproval: gate.allowSelfApproval,
    expiresAfterMs: parseDurationMs(gate.expiresAfter) ?? null,
  };
}

/** A deploy to an environment with approvals waits for them in its first stage, before anything changes. */
export function withApprovalGate(plan: Plan, gate: ApprovalGate | null): Plan {
  if (!gate || plan.kind !== 'deploy') return plan;
  const step = planApprovalStep(`deploy of ${plan.release.version} to ${plan.environment}`, gate);
  return { ...plan, stages: [{ name: 'approval', steps: [step] }, ...plan.stages] };
}
