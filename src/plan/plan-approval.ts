import { parseDurationMs } from '../core/duration.js';
import { CONTROL_PLANE, type AwaitApprovalStep } from './steps.js';

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
