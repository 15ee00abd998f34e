import type { ServingHost } from '../operations/deploy.js';

/**
 * The heading's "now serving …". A resumed deployment's stored plan names the release that served when it was
 * planned, which its switch may have replaced since: then the routers, asked just before, tell what serves (per
 * host when they differ, as in a rolling update stopped halfway); none answering (an empty list) says nothing
 * rather than guess. Without them (a new deployment, planned just now), the plan's previous release. Null when
 * nothing serves or nothing is known. Pure.
 */
export function describeNowServing(
  previousRelease: string | null,
  serving?: readonly ServingHost[],
): string | null {
  if (serving === undefined) return previousRelease;
  if (serving.length === 0) return null;
  const releases = new Set(serving.map((s) => s.release));
  if (releases.size === 1) return serving[0]?.release ?? null;
  return serving.map((s) => `${s.release ?? 'nothing'} on ${s.host}`).join(', ');
}
