/**
 * Several web instances per host (`run.instances`): a release runs as a group of targets on each host, each on its
 * own port, and the host's router balances across the group. The group is named by its first member: a route's
 * `active` target is the group's first member, and a switch carries the whole group. One instance is a group of
 * one, planned exactly as before (its target id has no instance suffix). Pure.
 */

/** What a switch step carries besides its target: the whole group (absent: a group of one, the target alone). */
export interface SwitchGroup {
  /** Every target of the group, the step's `targetId` first; only when there are several. */
  group?: string[];
}

/** The ids of the targets of one group: `<base>-i1` … `<base>-iN`; the base id alone for one instance. */
export function deriveInstanceIds(baseId: string, instances: number | undefined): string[] {
  const n = instances ?? 1;
  if (n <= 1) return [baseId];
  return Array.from({ length: n }, (_, i) => `${baseId}-i${i + 1}`);
}

/** The base id of an instance's target id (`web-1.0.0-abc123-i2` → `web-1.0.0-abc123`); other ids are their own. */
export function instanceBaseOf(targetId: string): string {
  return targetId.replace(/-i[0-9]+$/, '');
}

/** The members of a switch's group, or of an observed active side: the one target when no group is given. */
export function membersOf(side: { targetId: string; group?: readonly string[] }): string[] {
  return side.group && side.group.length > 0 ? [...side.group] : [side.targetId];
}

/** The `group` field for a list of members: absent for one. */
export function groupField(members: readonly string[]): SwitchGroup {
  return members.length > 1 ? { group: [...members] } : {};
}
