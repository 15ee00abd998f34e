/**
 * Where a request goes: a pure function of the route state and what the request says about itself.
 *
 * A route has an active (stable) target and, during a canary, a split: `weight` percent of users go to the
 * canary. A user is sticky: a cookie holds their bucket (0–99), drawn once (the caller passes the draw in, so
 * this stays pure), and the user goes to the canary while bucket < weight — as the weight grows a user moves
 * from stable to canary at most once and never back. A header set to `always` sends a request to the canary
 * whatever the weight (testers); `never` keeps it on stable. The sticky cookie set to `always` or `never` does
 * the same for a browser, where a tester cannot add a header (the header wins when both are present).
 *
 * An edge router has no active target but an upstream pool (the app hosts' routers): each request goes to the
 * next member in turn. The caller passes the turn counter in, so this stays pure as well.
 */
export interface CanarySplit {
  readonly canary: string;
  /** Percent of users (0–100). */
  readonly weight: number;
  /** Lower-case header name of the opt-in. */
  readonly header: string;
  readonly cookie: string;
}

export interface UpstreamPool {
  /** The members that get new requests (enabled and not unhealthy), in rotation order. */
  readonly members: readonly string[];
}

export interface RouteState {
  /** The target that receives new requests; null before the first switch. */
  readonly active: string | null;
  readonly split: CanarySplit | null;
  /** Round-robin upstreams, used when no target is active (an edge router). */
  readonly pool: UpstreamPool | null;
}

/**
 * What selection may read from a request. An interface rather than a record so that the router can answer
 * lazily: most selections never look at a header, and building a header object per request costs.
 */
export interface RequestInfo {
  /** The value of a request header, by lower-case name; several values are joined with ", ". */
  header(name: string): string | undefined;
}

export interface Selection {
  target: string | null;
  /** A bucket drawn for a user without one: the router sets it in the sticky cookie. */
  newBucket: number | null;
}

export const NO_ROUTE: RouteState = { active: null, split: null, pool: null };

export const BUCKETS = 100;

/**
 * Picks the target of one request; `drawBucket` is called only for a user without a bucket during a split,
 * `nextIndex` (a non-negative counter) only when the request goes to the pool.
 */
export function selectTarget(
  route: RouteState,
  request: RequestInfo,
  drawBucket: () => number = () => 0,
  nextIndex: () => number = () => 0,
): Selection {
  if (route.active === null) {
    const target = route.pool === null ? null : selectPoolMember(route.pool, nextIndex());
    return { target, newBucket: null };
  }
  const split = route.split;
  if (split === null) return { target: route.active, newBucket: null };
  const optIn = request.header(split.header);
  if (optIn === 'always') return { target: split.canary, newBucket: null };
  if (optIn === 'never') return { target: route.active, newBucket: null };
  const cookieHeader = request.header('cookie');
  const cookieOptIn = parseOptInCookie(cookieHeader, split.cookie);
  if (cookieOptIn === 'always') return { target: split.canary, newBucket: null };
  if (cookieOptIn === 'never') return { target: route.active, newBucket: null };
  let bucket = parseBucket(cookieHeader, split.cookie);
  const newBucket = bucket === null ? drawBucket() : null;
  bucket ??= newBucket ?? 0;
  return { target: bucket < split.weight ? split.canary : route.active, newBucket };
}

/** The member whose turn `n` (a non-negative integer) is; null when the pool is empty (the router answers 503). */
export function selectPoolMember(pool: UpstreamPool, n: number): string | null {
  const members = pool.members;
  if (members.length === 0) return null;
  return members[n % members.length] ?? null;
}

/**
 * A member other than `failed` for turn `n`, to retry a request on; null when no other member is in rotation.
 * Without allocating: the retry runs exactly when a host goes away under load.
 */
export function selectPoolMemberOtherThan(pool: UpstreamPool, failed: string, n: number): string | null {
  const members = pool.members;
  const candidate = selectPoolMember(pool, n);
  if (candidate !== failed) return candidate;
  if (members.length < 2) return null;
  return members[(n + 1) % members.length] ?? null;
}

/** The bucket in a Cookie header (`name=42`), or null when absent or not a bucket. */
export function parseBucket(cookieHeader: string | undefined, name: string): number | null {
  const raw = cookieValue(cookieHeader, name);
  if (raw === null) return null;
  const value = Number.parseInt(raw, 10);
  return Number.isInteger(value) && value >= 0 && value < BUCKETS ? value : null;
}

/** A tester's opt-in in the sticky cookie (`name=always` / `name=never`), or null for a bucket or nothing. */
export function parseOptInCookie(cookieHeader: string | undefined, name: string): 'always' | 'never' | null {
  const raw = cookieValue(cookieHeader, name);
  return raw === 'always' || raw === 'never' ? raw : null;
}

/** The value of the first cookie called `name` (up to `;`, trimmed), or null when absent. */
function cookieValue(cookieHeader: string | undefined, name: string): string | null {
  if (!cookieHeader) return null;
  const key = `${name}=`;
  let at = cookieHeader.indexOf(key);
  while (at > 0 && cookieHeader[at - 1] !== ' ' && cookieHeader[at - 1] !== ';')
    at = cookieHeader.indexOf(key, at + 1);
  if (at < 0) return null;
  const end = cookieHeader.indexOf(';', at);
  return cookieHeader.slice(at + key.length, end < 0 ? undefined : end).trim();
}

export function formatBucketCookie(name: string, bucket: number): string {
  return `${name}=${bucket}; Path=/; Max-Age=604800; SameSite=Lax; HttpOnly`;
}

/** The answer header that makes a user sticky: only when a split drew a new bucket for them. Pure. */
export function deriveBucketHeader(route: RouteState, selection: Selection): [string, string] | null {
  return route.split && selection.newBucket !== null
    ? ['set-cookie', formatBucketCookie(route.split.cookie, selection.newBucket)]
    : null;
}

/** Turns for round-robin choices (ties, pool members): 0, 1, 2 … wrapping before it leaves small integers. */
export function createTurnCounter(): () => number {
  let turn = 0;
  return () => {
    const n = turn;
    turn = n >= 0x3fffffff ? 0 : n + 1;
    return n;
  };
}

/** Route state after a switch (a new object: the router swaps the reference, so readers never see a mix). A
 * switch ends a split: all traffic goes to the new active target. */
export function deriveRouteWithActive(route: RouteState, active: string | null): RouteState {
  return { ...route, active, split: null };
}

/** Route state with the pool's rotation replaced; null makes the router a plain (non-edge) router again. */
export function deriveRouteWithPool(route: RouteState, members: readonly string[] | null): RouteState {
  return { ...route, pool: members === null ? null : { members: [...members] } };
}

export function deriveRouteWithSplit(route: RouteState, split: CanarySplit | null): RouteState {
  return {
    ...route,
    split: split && split.weight > 0 ? { ...split, header: split.header.toLowerCase() } : null,
  };
}
