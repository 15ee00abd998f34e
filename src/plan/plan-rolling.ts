import { formatDurationMs } from '../core/duration.js';
import { routeOfInput, type DeployInput, type RollingStrategy } from './plan-input.js';
import {
  cleanupSteps,
  prepareSteps,
  retireOldSteps,
  stopNewSteps,
  switchBackSteps,
  startSteps,
  switchSteps,
  verifySteps,
  withoutEmptyStages,
  type HostPlan,
} from './plan-parts.js';
import { CONTROL_PLANE, type BatchPolicy, type Stage, type Step, type StrategyStages } from './steps.js';

/** Resolves a host count ("25%" or 2) against the number of hosts: rounded up, at least 1, at most all. */
export function resolveHostCount(count: number | string, hosts: number): number {
  const wanted = typeof count === 'number' ? count : Math.ceil((Number(count.slice(0, -1)) / 100) * hosts);
  return Math.max(1, Math.min(hosts, wanted));
}

/** Splits hosts into batches, in the order they are listed. Pure. */
export function deriveBatches(
  hosts: readonly string[],
  batchSize: number | string,
  maxUnavailable: number | string | null,
): string[][] {
  let size = resolveHostCount(batchSize, hosts.length);
  if (maxUnavailable !== null) size = Math.min(size, resolveHostCount(maxUnavailable, hosts.length));
  const batches: string[][] = [];
  for (let i = 0; i < hosts.length; i += size) batches.push(hosts.slice(i, i + size));
  return batches;
}

/**
 * A rolling update: the release is installed everywhere first (uploads in parallel), then batch after batch
 * each host leaves the edge (its in-flight requests finish), gets the new release beside the old one
 * (health-checked, switched, old kept warm) and goes back in. A failing host within the failure budget is put
 * back on its old release on its own; beyond the budget the batch is rolled back (by policy) and the deploy
 * stops. A failure outside the batches puts every host back. Pure.
 */
export function planRollingStages(
  input: DeployInput,
  hosts: HostPlan[],
  strategy: RollingStrategy,
): { stages: StrategyStages; onFailure: Stage[]; batches: BatchPolicy } {
  const byName = new Map(hosts.map((h) => [h.host, h]));
  const batches = deriveBatches(
    hosts.map((h) => h.host),
    strategy.batchSize,
    strategy.maxUnavailable,
  ).map((names) => names.map((n) => byName.get(n)).filter((h): h is HostPlan => h !== undefined));
  const edge = input.edge;
  const edgeMember = (h: HostPlan, enabled: boolean): Step[] =>
    edge
      ? [
          {
            kind: 'set-edge-member',
            host: edge.host,
            app: routeOfInput(input), // the edge's key: `edge:<app>`, or `edge:<app>@<environment>` with domains
            member: h.host,
            enabled,
            drainTimeoutMs: strategy.drainTimeoutMs,
          },
        ]
      : [];
  const traffic: Stage[] = [];
  const recover: Record<number, Stage[]> = {};
  batches.forEach((batch, i) => {
    const b = i + 1;
    const label = `batch ${b}/${batches.length}`;
    const retire: Step[] = retireOldSteps(batch, strategy.keepWarmMs, strategy.drainTimeoutMs);
    traffic.push(
      { name: `${label}: out of the edge`, batch: b, steps: batch.flatMap((h) => edgeMember(h, false)) },
      { name: `${label}: start`, batch: b, steps: startSteps(input, batch, input.release) },
      { name: `${label}: verify`, batch: b, steps: verifySteps(batch, input.release) },
      {
        name: `${label}: switch`,
        batch: b,
        steps: switchSteps(input, batch, input.release.version, strategy.drainTimeoutMs),
      },
      { name: `${label}: keep old warm`, batch: b, steps: retire },
      { name: `${label}: back in the edge`, batch: b, steps: batch.flatMap((h) => edgeMember(h, true)) },
    );
    if (strategy.pauseBetweenBatchesMs > 0 && b < batches.length) {
      traffic.push({
        name: `pause ${formatDurationMs(strategy.pauseBetweenBatchesMs)}`,
        steps: [{ kind: 'pause', host: CONTROL_PLANE, durationMs: strategy.pauseBetweenBatchesMs }],
      });
    }
    recover[b] = recoverStages(input, batch, strategy, edgeMember);
  });
  return {
    stages: withoutEmptyStages({
      prepare: [{ name: 'prepare', steps: prepareSteps(input, hosts, input.release) }],
      traffic,
      retire: [{ name: 'clean up', steps: cleanupSteps(input, hosts) }],
    }),
    // Outside any batch: before the first (nothing switched yet), or after the last (a failed bake or
    // verification), when every host serves the new release: every host goes back, as a failed batch would. (A
    // bare 'stop new' here stopped the targets that served.) A host can go back only while its old target is
    // warm: after the last batch, for `keepWarm`.
    onFailure: recoverStages(input, hosts, strategy, edgeMember),
    batches: { failureBudget: strategy.failureBudget, onBatchFailure: strategy.onBatchFailure, recover },
  };
}

/**
 * Puts hosts of a batch back in the edge, and back on what they served before. The edge goes first: it is the
 * edge host that does it, so a host that cannot be reached (its link is cut, and so is the switch back) is put
 * back too, and the edge's health checks keep users off it until it answers again, then let them back with no
 * command run. Its router serves the previous release, or the new one only once that passed its health check
 * (the switch comes after it), so nothing unchecked reaches users meanwhile.
 */
function recoverStages(
  input: DeployInput,
  batch: HostPlan[],
  strategy: RollingStrategy,
  edgeMember: (h: HostPlan, enabled: boolean) => Step[],
): Stage[] {
  const switchBack = switchBackSteps(input, batch, strategy.drainTimeoutMs);
  const stages: Stage[] = [
    // A host with nothing to go back to stays out of the edge rather than serve a broken release.
    { name: 'back in the edge', steps: batch.filter((h) => h.active).flatMap((h) => edgeMember(h, true)) },
    { name: 'switch back', steps: switchBack },
    { name: 'stop new', steps: stopNewSteps(input, batch, strategy.drainTimeoutMs) },
  ];
  return stages.filter((s) => s.steps.length > 0);
}
