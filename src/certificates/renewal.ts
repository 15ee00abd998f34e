// When to obtain a certificate (pure): none yet, revoked, its names no longer the wanted ones, expired, or two
// thirds of its lifetime gone (Let's Encrypt's advice: 60 days into 90, 4 days into 6); after failures, not
// before the back-off has passed, whatever the reason (a CA counts failed validations per name and hour).

export interface RenewalPolicy {
  /** The share of the lifetime after which it is renewed. */
  renewAtFraction: number;
  /** The wait after the first failure; it doubles with each further one, up to `backoffMaxMs`. */
  backoffMinMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_RENEWAL_POLICY: RenewalPolicy = {
  renewAtFraction: 2 / 3,
  backoffMinMs: 60_000,
  backoffMaxMs: 6 * 3600_000,
};

export interface RenewalInput {
  nowMs: number;
  /** The names wanted now. */
  names: readonly string[];
  /** The certificate held, or null. */
  current: { names: readonly string[]; notBeforeMs: number; notAfterMs: number; revoked: boolean } | null;
  /** Failed attempts since the last success (for these names), and when the last one ended. */
  failures: { count: number; lastAtMs: number } | null;
  policy?: RenewalPolicy;
}

export type RenewalReason = 'missing' | 'revoked' | 'names-changed' | 'expired' | 'due';

/** Why a certificate is obtained: the decision's reason, or an operator's request ahead of it. */
export type ObtainReason = RenewalReason | 'requested';

export type RenewalDecision =
  /** Nothing to do; look again at `renewAtMs` (when two thirds of the lifetime are gone). */
  | { kind: 'keep'; renewAtMs: number }
  /** Obtain a new certificate now. */
  | { kind: 'obtain'; reason: RenewalReason }
  /** One is needed, but the last attempt failed: not before `retryAtMs`. */
  | { kind: 'back-off'; reason: RenewalReason; retryAtMs: number };

export function decideRenewal(input: RenewalInput): RenewalDecision {
  const policy = input.policy ?? DEFAULT_RENEWAL_POLICY;
  const { current, nowMs } = input;
  const renewAtMs = current
    ? current.notBeforeMs + Math.floor((current.notAfterMs - current.notBeforeMs) * policy.renewAtFraction)
    : nowMs;
  const reason: RenewalReason | null = !current
    ? 'missing'
    : current.revoked
      ? 'revoked'
      : !sameNames(current.names, input.names)
        ? 'names-changed'
        : nowMs >= current.notAfterMs
          ? 'expired'
          : nowMs >= renewAtMs
            ? 'due'
            : null;
  if (reason === null) return { kind: 'keep', renewAtMs };
  if (input.failures && input.failures.count > 0) {
    const retryAtMs = input.failures.lastAtMs + backoffMs(input.failures.count, policy);
    if (nowMs < retryAtMs) return { kind: 'back-off', reason, retryAtMs };
  }
  return { kind: 'obtain', reason };
}

/** The wait after `failures` failures in a row: min, 2·min, 4·min … up to max. */
export function backoffMs(failures: number, policy: RenewalPolicy = DEFAULT_RENEWAL_POLICY): number {
  if (failures <= 0) return 0;
  return Math.min(policy.backoffMaxMs, policy.backoffMinMs * 2 ** Math.min(failures - 1, 30));
}

/** The same set of names, whatever the order or case. */
export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const norm = (names: readonly string[]): string =>
    [...new Set(names.map((n) => n.toLowerCase()))].sort().join('\n');
  return norm(a) === norm(b);
}

/**
 * Whether a stored certificate may be served now for exactly these names: not revoked, not expired (due for
 * renewal or not). What a deploy reuses rather than asking the CA. Pure.
 */
export function isServable(
  stored: { names: readonly string[]; notAfter: string; revoked: boolean } | null,
  names: readonly string[],
  nowMs: number,
): boolean {
  return (
    stored !== null &&
    !stored.revoked &&
    Date.parse(stored.notAfter) > nowMs &&
    sameNames(stored.names, names)
  );
}
