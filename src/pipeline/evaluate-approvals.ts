import type { TeamConfig } from '../config/approvals-schema.js';
import { formatDurationMs } from '../core/duration.js';

export interface ApprovalRequirement {
  role: string;
  count: number;
}

/** What a deployment needs before it may go on, with who asked for it. */
export interface ApprovalPolicy {
  requirements: ApprovalRequirement[];
  allowSelfApproval: boolean;
  expiresAfterMs: number | null;
  /** The actor who started the deployment. */
  requestedBy: string;
  environment: string;
  team: TeamConfig;
}

export interface ApprovalDecision {
  actor: string;
  decision: 'approve' | 'reject';
  atMs: number;
  comment: string | null;
}

export interface ApprovalState {
  state: 'approved' | 'rejected' | 'pending';
  /** The people whose approvals fill the requirements (each counted once). */
  approvedBy: string[];
  rejectedBy: { person: string; comment: string | null } | null;
  /** Per role, how many more approvals are needed. */
  missing: ApprovalRequirement[];
  /** Decisions that do not count, with the reason. */
  ignored: Array<{ actor: string; reason: string }>;
}

/**
 * The team member an actor is: the actor itself, or its user part (`alice` for `alice@laptop`, the CLI's default
 * actor), so that a team lists people by name.
 */
export function findPerson(team: TeamConfig, actor: string): string | null {
  if (Object.hasOwn(team, actor)) return actor;
  const user = actor.split('@')[0] ?? '';
  return user !== '' && Object.hasOwn(team, user) ? user : null;
}

export function rolesOf(team: TeamConfig, person: string, environment: string): string[] {
  const member = Object.hasOwn(team, person) ? team[person] : undefined;
  if (!member) return [];
  if (member.environments && !member.environments.includes(environment)) return [];
  return member.roles;
}

/** Whether an actor may approve (or reject) under a policy; the reason when not. */
export function checkApprover(
  policy: ApprovalPolicy,
  actor: string,
): { ok: true; person: string; roles: string[] } | { ok: false; reason: string } {
  const person = findPerson(policy.team, actor);
  if (!person) return { ok: false, reason: `${actor} is not in the team of slipway.yml` };
  const needed = new Set(policy.requirements.map((r) => r.role));
  const roles = rolesOf(policy.team, person, policy.environment).filter((r) => needed.has(r));
  if (roles.length === 0) {
    const wanted = [...needed].join(' or ');
    return { ok: false, reason: `${person} has no role ${wanted} in ${policy.environment}` };
  }
  const requester = findPerson(policy.team, policy.requestedBy) ?? policy.requestedBy;
  if (!policy.allowSelfApproval && person === requester) {
    return { ok: false, reason: `${person} started this deployment and may not approve it` };
  }
  return { ok: true, person, roles };
}

/**
 * Decides whether the decisions so far satisfy the policy. A person's latest decision is the one that counts; a
 * rejection by anyone who may approve rejects; approvals older than the expiry do not count. Requirements are
 * filled by distinct people (one person holding two required roles fills only one of them).
 */
export function evaluateApprovals(
  policy: ApprovalPolicy,
  decisions: readonly ApprovalDecision[],
  nowMs: number,
): ApprovalState {
  const ignored: ApprovalState['ignored'] = [];
  const latest = new Map<string, ApprovalDecision & { roles: string[] }>();
  for (const d of [...decisions].sort((a, b) => a.atMs - b.atMs)) {
    const check = checkApprover(policy, d.actor);
    if (!check.ok) {
      ignored.push({ actor: d.actor, reason: check.reason });
      continue;
    }
    latest.set(check.person, { ...d, roles: check.roles });
  }
  const approvers: Array<{ person: string; roles: string[] }> = [];
  for (const [person, d] of latest) {
    if (d.decision === 'reject') {
      return {
        state: 'rejected',
        approvedBy: [],
        rejectedBy: { person, comment: d.comment },
        missing: policy.requirements,
        ignored,
      };
    }
    if (policy.expiresAfterMs !== null && nowMs - d.atMs > policy.expiresAfterMs) {
      ignored.push({
        actor: d.actor,
        reason: `approval expired (older than ${formatDurationMs(policy.expiresAfterMs)})`,
      });
      continue;
    }
    approvers.push({ person, roles: d.roles });
  }
  const { assigned, missing } = assignApprovers(policy.requirements, approvers);
  return {
    state: missing.length === 0 ? 'approved' : 'pending',
    approvedBy: assigned,
    rejectedBy: null,
    missing,
    ignored,
  };
}

/** Fills each required slot with a distinct person who holds its role (a bipartite matching, Kuhn's algorithm). */
function assignApprovers(
  requirements: readonly ApprovalRequirement[],
  approvers: ReadonlyArray<{ person: string; roles: string[] }>,
): { assigned: string[]; missing: ApprovalRequirement[] } {
  const slots = requirements.flatMap((r) => Array.from({ length: r.count }, () => r.role));
  const slotOf = new Map<number, number>(); // approver index → slot index
  const personOf = new Map<number, number>(); // slot index → approver index
  const tryAssign = (slot: number, seen: Set<number>): boolean => {
    for (const [index, approver] of approvers.entries()) {
      if (seen.has(index) || !approver.roles.includes(slots[slot] ?? '')) continue;
      seen.add(index);
      const taken = slotOf.get(index);
      if (taken === undefined || tryAssign(taken, seen)) {
        slotOf.set(index, slot);
        personOf.set(slot, index);
        return true;
      }
    }
    return false;
  };
  for (let slot = 0; slot < slots.length; slot++) tryAssign(slot, new Set());
  const missingCount = new Map<string, number>();
  slots.forEach((role, slot) => {
    if (!personOf.has(slot)) missingCount.set(role, (missingCount.get(role) ?? 0) + 1);
  });
  return {
    assigned: [...slotOf.keys()].sort((a, b) => a - b).map((i) => approvers[i]?.person ?? ''),
    missing: [...missingCount].map(([role, count]) => ({ role, count })),
  };
}

/** "1 approver and 2 admins" — for plans, status and errors. */
export function describeRequirements(requirements: readonly ApprovalRequirement[]): string {
  return requirements.map((r) => `${r.count} ${r.role}${r.count === 1 ? '' : 's'}`).join(' and ');
}
