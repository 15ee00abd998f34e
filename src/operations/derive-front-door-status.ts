import type { RouteStatus } from '../agent/protocol.js';

/** A certificate that expires within this many days is flagged by `slipway status` and the dashboard. */
export const CERTIFICATE_EXPIRY_WARNING_DAYS = 14;

const DAY_MS = 24 * 60 * 60 * 1000;

export type CertificateState = 'valid' | 'expiring' | 'expired' | 'unreadable';

/** One certificate of an environment's front door, as `status` shows it (the same one on several hosts once). */
export interface CertificateView {
  names: string[];
  /** The issuer's distinguished name on one line. */
  issuer: string;
  /** ISO 8601; empty when unreadable. */
  notBefore: string;
  notAfter: string;
  source: 'files' | 'acme';
  /** `expiring`: within CERTIFICATE_EXPIRY_WARNING_DAYS; `unreadable`: the host could not read its copy. */
  state: CertificateState;
  /** Whole days left before it expires (negative once expired); null when unreadable. */
  daysLeft: number | null;
  error: string | null;
  /** The hosts that serve it. */
  hosts: string[];
}

/** An environment's route on its hosts' front door, as `slipway status` and the dashboard show it. */
export interface FrontDoorStatusView {
  names: string[];
  pathPrefix: string;
  httpPort: number;
  httpsPort: number;
  /** The hosts whose route is on a front door. */
  hosts: string[];
  certificates: CertificateView[];
  /** Its certificates are obtained by the hosts (`tls.acme`): none yet means none issued yet, not plain HTTP. */
  acme: boolean;
}

/**
 * The environment's front door from what each host's router says of its route (its names, ports and certificates,
 * each certificate once with the hosts that serve it); null when no host's route is on a front door. Pure.
 */
export function deriveFrontDoorStatus(
  hosts: ReadonlyArray<{ host: string; route: Pick<RouteStatus, 'frontDoor'> | null }>,
  nowMs: number,
): FrontDoorStatusView | null {
  const doors = hosts.flatMap((h) => (h.route?.frontDoor ? [{ host: h.host, door: h.route.frontDoor }] : []));
  const first = doors[0];
  if (first === undefined) return null;
  const certificates = new Map<string, CertificateView>();
  for (const { host, door } of doors) {
    // An agent of the first front door version sent a count; it has nothing more to show.
    for (const c of Array.isArray(door.certificates) ? door.certificates : []) {
      const key = c.error
        ? `${host}\0${c.file}`
        : [c.names.join(','), c.issuer, c.notBefore, c.notAfter, c.source].join('\0');
      const seen = certificates.get(key);
      if (seen) seen.hosts.push(host);
      else certificates.set(key, { ...viewOf(c, nowMs), hosts: [host] });
    }
  }
  return {
    names: first.door.names,
    pathPrefix: first.door.pathPrefix,
    httpPort: first.door.httpPort,
    httpsPort: first.door.httpsPort,
    hosts: doors.map((d) => d.host),
    certificates: [...certificates.values()],
    acme: doors.some((d) => d.door.acme === true),
  };
}

type CertificateStatus = NonNullable<RouteStatus['frontDoor']>['certificates'][number];

function viewOf(c: CertificateStatus, nowMs: number): Omit<CertificateView, 'hosts'> {
  const common = {
    names: c.names,
    issuer: c.issuer,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    source: c.source,
  };
  const notAfterMs = Date.parse(c.notAfter);
  if (c.error !== undefined || Number.isNaN(notAfterMs))
    return {
      ...common,
      state: 'unreadable',
      daysLeft: null,
      error: c.error ?? `no expiry date: ${c.notAfter}`,
    };
  const daysLeft = Math.floor((notAfterMs - nowMs) / DAY_MS);
  const state: CertificateState =
    notAfterMs <= nowMs ? 'expired' : daysLeft < CERTIFICATE_EXPIRY_WARNING_DAYS ? 'expiring' : 'valid';
  return { ...common, state, daysLeft, error: null };
}
