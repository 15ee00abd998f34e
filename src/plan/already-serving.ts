import { membersOf } from './instance-group.js';
import type { DeployInput } from './plan-input.js';

/** A host whose router serves the deployed release already. */
export interface AlreadyServingHost {
  host: string;
  /** The target serving it. */
  targetId: string;
  decision: AlreadyServingDecision;
}

/**
 * Left as it is when its target runs and passed its health check (no crash since). Started again when it is
 * not known to be healthy, or when the release reads secrets: their values are read when a target starts, and
 * the agent does not say which values a running target has, so a redeploy is how new values reach it.
 */
export type AlreadyServingDecision =
  | { kind: 'left-as-is' }
  | { kind: 'restart-not-healthy'; state: string; health: string }
  | { kind: 'restart-for-secrets'; secretNames: string[] };

/**
 * The hosts whose router serves the release being deployed already, and what to do about each: a redeploy of
 * the release that serves must not start it again where it runs well (each start adds a target and keeps the
 * one before warm, for nothing: a rollback never goes back to the same release). Pure.
 */
export function deriveAlreadyServing(input: DeployInput): AlreadyServingHost[] {
  return input.hosts.flatMap((host): AlreadyServingHost[] => {
    const observed = input.observed.find((o) => o.host === host);
    const active = observed?.active;
    if (!active || active.release !== input.release.version) return [];
    // Several instances: the group is left as it is only when every one of them is (and all are there).
    const members = membersOf(active);
    const targets = members.map((id) => observed.targets.find((t) => t.targetId === id));
    const wanted = input.release.instances ?? 1;
    if (members.length !== wanted) {
      const state = `${members.length} of ${wanted} instances routed`;
      return [
        {
          host,
          targetId: active.targetId,
          decision: { kind: 'restart-not-healthy', state, health: 'unknown' },
        },
      ];
    }
    const worst = targets.findIndex((t) => t?.state !== 'running' || t.health !== 'healthy');
    return [{ host, targetId: active.targetId, decision: decide(input, targets[Math.max(worst, 0)]) }];
  });
}

function decide(
  input: DeployInput,
  target: DeployInput['observed'][number]['targets'][number] | undefined,
): AlreadyServingDecision {
  const state = target?.state ?? 'unknown';
  const health = target?.health ?? 'unknown';
  if (state !== 'running' || health !== 'healthy') return { kind: 'restart-not-healthy', state, health };
  const secretNames = input.release.secretNames;
  if (secretNames.length > 0) return { kind: 'restart-for-secrets', secretNames };
  return { kind: 'left-as-is' };
}

/** The hosts the plan leaves alone: they serve the release already, healthily. */
export function hostsLeftAsIs(serving: readonly AlreadyServingHost[]): Set<string> {
  return new Set(serving.filter((s) => s.decision.kind === 'left-as-is').map((s) => s.host));
}
