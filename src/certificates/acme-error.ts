import { SlipwayError } from '../core/errors.js';
import type { AcmeProblem } from './acme-lib.js';

/**
 * What failed, for the message, the hint and whoever alerts on it:
 * - `dns`: the CA could not resolve a name (no record, SERVFAIL);
 * - `challenge`: the CA reached the name but the answer was wrong or missing, or it could not connect to it;
 * - `rate-limit`: the CA refuses to issue more for now (Retry-After says until when);
 * - `rejected-name`: the CA will not issue for that name (policy, CAA, not a valid name);
 * - `account`: the account is refused (terms, external account binding, deactivated);
 * - `unreachable`: the CA's directory could not be reached (network, TLS trust of a private CA);
 * - `ca`: anything else the CA answered with a problem or an unexpected state.
 */
export type AcmeFailureKind =
  'dns' | 'challenge' | 'rate-limit' | 'rejected-name' | 'account' | 'unreachable' | 'ca';

/** An ACME operation that failed: what was being done, for which names, what kind of failure, the CA's problem. */
export class AcmeError extends SlipwayError {
  constructor(
    readonly kind: AcmeFailureKind,
    readonly names: readonly string[],
    /** The CA's problem document, when it sent one. */
    readonly problem: AcmeProblem | null,
    message: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, options);
  }
}

const PREFIX = 'urn:ietf:params:acme:error:';
const DNS_WORDS =
  /\b(lookup|resolve|no such host|NXDOMAIN|SERVFAIL|server misbehaving|no valid (A|AAAA)|DNS)\b/i;

/** The kind of a failure from the problem document (its type; a connection problem that is a DNS one by detail). */
export function kindOfProblem(problem: AcmeProblem | null, duringChallenge: boolean): AcmeFailureKind {
  if (!problem) return 'ca';
  const type = problem.type.startsWith(PREFIX) ? problem.type.slice(PREFIX.length) : problem.type;
  switch (type) {
    case 'rateLimited':
      return 'rate-limit';
    case 'dns':
      return 'dns';
    case 'connection':
      return DNS_WORDS.test(problem.detail) ? 'dns' : 'challenge';
    case 'incorrectResponse':
    case 'tls':
      return 'challenge';
    case 'unauthorized':
      return duringChallenge ? 'challenge' : 'account';
    case 'rejectedIdentifier':
    case 'unsupportedIdentifier':
    case 'caa':
      return 'rejected-name';
    case 'accountDoesNotExist':
    case 'externalAccountRequired':
    case 'userActionRequired':
    case 'agreementRequired':
      return 'account';
    default:
      return 'ca';
  }
}

/** A network or TLS error reaching the CA itself (no answer, so no problem document). */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNABORTED|EHOSTUNREACH|ENETUNREACH|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_)/.test(
      code,
    )
  );
}

const HINTS: Record<AcmeFailureKind, (names: readonly string[]) => string> = {
  dns: (names) =>
    `make ${names.join(', ')} resolve (an A or AAAA record) to the host that answers the challenge, then try again`,
  challenge: () =>
    'the CA must reach this host by the name: port 80 for http-01 (/.well-known/acme-challenge/), port 443 for tls-alpn-01; check the DNS records, the firewall and that the router answers there',
  'rate-limit': () =>
    'the CA limits how often it issues: wait until the time it gave (renewal retries by itself with a back-off); try configurations against the staging directory',
  'rejected-name': () => 'the CA does not issue for that name: check its spelling and its CAA records',
  account: () =>
    "check the account's email, the CA's terms and, if the CA needs one, the external account binding",
  unreachable: () =>
    'check the directory URL and that this host reaches it; for a private CA give its certificate as the CA bundle',
  ca: () => "see the CA's detail above; renewal retries with a back-off",
};

/** Builds the AcmeError for a failed step: `what` says what was being done, e.g. "the http-01 challenge for a.test". */
export function acmeError(
  what: string,
  names: readonly string[],
  err: unknown,
  problem: AcmeProblem | null,
  duringChallenge = false,
): AcmeError {
  if (err instanceof AcmeError) return err;
  const kind = !problem && isUnreachable(err) ? 'unreachable' : kindOfProblem(problem, duringChallenge);
  const cause = err instanceof Error ? err.message : String(err);
  let detail: string;
  if (problem) {
    const sub = problem.subproblems
      .map((s) => `${s.identifier ?? '?'}: ${s.detail} (${shortType(s.type)})`)
      .join('; ');
    detail = `${problem.detail || cause} (${shortType(problem.type)}${problem.status ? `, HTTP ${problem.status}` : ''})${sub ? ` [${sub}]` : ''}${problem.retryAfter ? `; retry after ${problem.retryAfter}` : ''}`;
  } else {
    const code = (err as { code?: unknown } | null)?.code;
    detail = typeof code === 'string' && !cause.includes(code) ? `${cause} (${code})` : cause;
  }
  return new AcmeError(kind, names, problem, `${what} failed: ${KIND_TEXT[kind]}: ${detail}`, {
    cause: err,
    hint: HINTS[kind](names),
  });
}

const KIND_TEXT: Record<AcmeFailureKind, string> = {
  dns: 'DNS',
  challenge: 'challenge not validated',
  'rate-limit': 'rate limited by the CA',
  'rejected-name': 'name refused by the CA',
  account: 'account refused',
  unreachable: 'CA not reachable',
  ca: 'the CA refused',
};

function shortType(type: string): string {
  return type.startsWith(PREFIX) ? type.slice(PREFIX.length) : type;
}
