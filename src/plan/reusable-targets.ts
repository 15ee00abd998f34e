import type { DeployInput, HostObservation } from './plan-input.js';
import type { Step } from './steps.js';

type ObservedTarget = HostObservation['targets'][number];

/**
 * A target that may get traffic without a health check in this deployment: a warm one, i.e. a target that served
 * (it was switched away from and scheduled to stop by a deployment's keep-warm step, which runs only after its
 * switch) and whose health check passed with no crash since. A target that an interrupted deployment started and
 * never switched to has no stop time: it is never reused, whatever its health (it may never have passed). Pure.
 */
export function isReusableWarm(
  target: ObservedTarget,
  release: string,
  activeTargetId: string | null,
): boolean {
  return (
    target.release === release &&
    target.targetId !== activeTargetId &&
    target.state === 'running' &&
    target.stopAtMs !== null &&
    target.health === 'healthy'
  );
}

/** A target no router sends to or drains and no keep-warm holds: left behind by a deployment that did not finish. */
export function isLeftover(observed: HostObservation, target: ObservedTarget): boolean {
  const routed = new Set([
    ...(observed.active ? [observed.active.targetId, ...(observed.active.group ?? [])] : []),
    ...(observed.routed ?? []),
  ]);
  // A worker process is never routed: the deployment's worker stages replace it (./worker-steps.ts).
  if (target.process) return false;
  return target.state !== 'stopped' && target.stopAtMs === null && !routed.has(target.targetId);
}

/** Stops what interrupted deployments left on the environment's hosts: nothing reuses it, nothing else stops it. */
export function stopLeftoverSteps(input: DeployInput): Step[] {
  return input.hosts.flatMap((host) => {
    const observed = input.observed.find((o) => o.host === host);
    if (!observed) return [];
    return observed.targets
      .filter((t) => isLeftover(observed, t))
      .map((t): Step => ({
        kind: 'stop-target',
        host,
        targetId: t.targetId,
        release: t.release,
        drainTimeoutMs: input.strategy.drainTimeoutMs,
      }));
  });
}
