import type { DeployInput } from './plan-input.js';
import type { AlreadyServingDecision, AlreadyServingHost } from './steps.js';

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
    const target = observed.targets.find((t) => t.targetId === active.targetId);
    return [{ host, targetId: active.targetId, decision: decide(input, target) }];
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
