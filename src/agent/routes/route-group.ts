import type { Router } from '../../router/router.js';
import type { TargetAddress } from '../../router/router-target.js';
import type { RouteGroup } from '../group-protocol.js';

/** The ids of a route's active side: its group's members, or the target alone. */
export function activeIdsOf(target: TargetAddress, group: RouteGroup | null | undefined): string[] {
  return group && group.members.length > 1 ? group.members.map((m) => m.id) : [target.id];
}

/**
 * Puts the router's active side on `target`, or on its group of instances (each added to the router first).
 * Returns every target of the side before: those not on the new side drain.
 */
export function applyActiveSide(
  router: Router,
  target: TargetAddress,
  group: RouteGroup | null | undefined,
): string[] {
  const before = router.activeMembers();
  const members = group && group.members.length > 1 ? group.members : [target];
  for (const member of members) router.addTarget(member);
  if (group && members.length > 1) router.setActiveGroup(activeIdsOf(target, group), group.healthCheck);
  else router.setActive(target.id);
  return before;
}

/** The group without `targetId` (a member stopped while the group serves); null when one target is left. */
export function deriveGroupWithout(group: RouteGroup, targetId: string): RouteGroup | null {
  const members = group.members.filter((m) => m.id !== targetId);
  return members.length > 1 ? { ...group, members } : null;
}
