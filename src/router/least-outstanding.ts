/**
 * Which member of a route's group of instances gets a request: the one with the fewest requests outstanding (in
 * flight). Ties go to the first tied member counting from the turn `n` (a non-negative counter the caller passes
 * in, as split.ts takes its randomness), so equal members take turns: a group at rest is round-robin, a group
 * with one slow member sends it less. Pure and allocation-free: it runs on every request of a group.
 */

/** The member for turn `n`, or null when there is none (`inFlight` reads a member's outstanding requests). */
export function selectLeastOutstanding(
  members: readonly string[],
  inFlight: (id: string) => number,
  n: number,
): string | null {
  return selectLeastOutstandingOtherThan(members, null, inFlight, n);
}

/** The same, passing over `excluded` (a member a request could not be sent to); null when no other is left. */
export function selectLeastOutstandingOtherThan(
  members: readonly string[],
  excluded: string | null,
  inFlight: (id: string) => number,
  n: number,
): string | null {
  const count = members.length;
  let best: string | null = null;
  let bestLoad = Infinity;
  for (let i = 0; i < count; i++) {
    const id = members[(n + i) % count] as string;
    if (id === excluded) continue;
    const load = inFlight(id);
    if (load < bestLoad) {
      best = id;
      bestLoad = load;
    }
  }
  return best;
}
