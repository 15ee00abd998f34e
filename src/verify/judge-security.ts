import type { Listener } from '../hosts/host-facts.js';

/** A path that must not be served: any 2xx answer means it is (redirects and 4xx are fine). Pure. */
export function judgeForbiddenPath(status: number): string | null {
  return status >= 200 && status < 300 ? `served with ${status}` : null;
}

export interface TlsObservation {
  protocol: string | null;
  /** The certificate chain was verified against the trusted CAs and the host name. */
  authorized: boolean;
  authorizationError: string | null;
  validFromMs: number | null;
  validToMs: number | null;
  /** The name the certificate was asked for (SNI, or the address of an https url). */
  name: string;
  /** Whether the certificate is for `name` (its subjectAltName), whether or not its chain is trusted. */
  coversName: boolean;
  /** The certificate's subjectAltName as presented (`DNS:shop.test, DNS:www.shop.test`), for the message. */
  certificateNames: string;
}

const TLS_ORDER = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Certificate name, trust and validity (with a margin before expiry) and the negotiated protocol. Pure. */
export function judgeTls(
  tls: TlsObservation,
  nowMs: number,
  rules: { minDaysValid: number; minVersion: 'TLSv1.2' | 'TLSv1.3' },
): string[] {
  const problems: string[] = [];
  if (!tls.coversName)
    problems.push(
      `certificate does not cover ${tls.name} (it is for ${tls.certificateNames || 'no subjectAltName'})`,
    );
  // A name mismatch is how Node reports a trusted chain for another name: said once, above.
  if (!tls.authorized && !(tls.authorizationError === 'ERR_TLS_CERT_ALTNAME_INVALID' && !tls.coversName))
    problems.push(`certificate not trusted: ${tls.authorizationError ?? 'unknown reason'}`);
  if (tls.validFromMs !== null && tls.validFromMs > nowMs) problems.push('certificate is not valid yet');
  if (tls.validToMs === null) problems.push('no certificate expiry date');
  else {
    const daysLeft = Math.floor((tls.validToMs - nowMs) / 86_400_000);
    if (tls.validToMs <= nowMs) problems.push('certificate has expired');
    else if (daysLeft < rules.minDaysValid)
      problems.push(
        `certificate expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'} (at least ${rules.minDaysValid} required)`,
      );
  }
  const rank = TLS_ORDER.indexOf(tls.protocol ?? '');
  if (rank < TLS_ORDER.indexOf(rules.minVersion))
    problems.push(`protocol ${tls.protocol ?? 'unknown'} is below ${rules.minVersion}`);
  return problems;
}

/**
 * Is a listener's address loopback only? Addresses come from `ss` (`127.0.0.1`, `[::1]`, `127.0.0.53%lo`,
 * `[::ffff:127.0.0.1]`) or from /proc/net/tcp{,6} (hex, IPv4 in host byte order: `0100007F`). Pure.
 */
export function isLoopbackAddress(address: string): boolean {
  const a = address
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '')
    .toLowerCase();
  if (a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.') || a === 'localhost') return true;
  if (/^[0-9a-f]{8}$/.test(a)) return a.endsWith('7f');
  if (/^[0-9a-f]{32}$/.test(a))
    return (
      a === '00000000000000000000000001000000' ||
      (a.startsWith('0000000000000000ffff0000') && a.endsWith('7f'))
    );
  return false;
}

/** Ports a host listens on beyond loopback that are not allowed, as lines (`port 9000 (0.0.0.0)`). Pure. */
export function judgeListeners(listeners: readonly Listener[], allowedPorts: readonly number[]): string[] {
  const allowed = new Set(allowedPorts);
  const open = new Map<number, Set<string>>();
  for (const l of listeners) {
    if (isLoopbackAddress(l.address) || allowed.has(l.port)) continue;
    const addresses = open.get(l.port) ?? new Set<string>();
    addresses.add(l.address);
    open.set(l.port, addresses);
  }
  return [...open.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, addresses]) => `port ${port} (${[...addresses].join(', ')})`);
}
