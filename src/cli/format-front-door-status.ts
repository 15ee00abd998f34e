import {
  CERTIFICATE_EXPIRY_WARNING_DAYS,
  type CertificateView,
  type FrontDoorStatusView,
} from '../operations/derive-front-door-status.js';
import { describeExpiry, issuerName } from '../plan/describe-certificate.js';
import { bold, dim, red, yellow } from './progress-renderer.js';

/**
 * The front door's part of `slipway status`: the route's names (and path prefix) on which ports of which hosts,
 * then one line per certificate: its names, issuer, expiry and source, flagged when it expires within
 * CERTIFICATE_EXPIRY_WARNING_DAYS or has expired. Pure (colours only on a terminal).
 */
export function formatFrontDoorStatus(door: FrontDoorStatusView, nowMs: number): string[] {
  const prefix = door.pathPrefix === '/' ? '' : door.pathPrefix;
  const lines = [
    `  ${bold('front door')} ${door.names.map((n) => `${n}${prefix}`).join(', ')}  ${dim(`HTTP :${door.httpPort}, HTTPS :${door.httpsPort} on ${door.hosts.join(', ')}`)}`,
  ];
  if (door.certificates.length === 0)
    lines.push(
      `    ${door.acme ? yellow('no certificate yet: ACME has issued none (see "slipway history")') : dim('no certificate: plain HTTP')}`,
    );
  for (const c of door.certificates) lines.push(`    ${formatCertificate(c, door.hosts, nowMs)}`);
  return lines;
}

export function formatCertificate(c: CertificateView, doorHosts: readonly string[], nowMs: number): string {
  const where = c.hosts.length === doorHosts.length ? '' : dim(` on ${c.hosts.join(', ')}`);
  if (c.state === 'unreadable') return `certificate ${red(`unreadable: ${c.error ?? 'unknown'}`)}${where}`;
  const expiry = describeExpiry(c.notAfter, nowMs);
  const renew =
    c.source === 'acme' ? 'not renewed yet: see "slipway history"' : 'renew the files and deploy again';
  const flagged =
    c.state === 'expired'
      ? red(`${expiry}: ${renew}`)
      : c.state === 'expiring'
        ? yellow(`${expiry}, under ${CERTIFICATE_EXPIRY_WARNING_DAYS} days: ${renew}`)
        : expiry;
  return `certificate ${c.names.join(', ') || dim('no DNS name')}  ${dim('issuer')} ${issuerName(c.issuer)}  ${flagged}  ${dim(c.source)}${where}`;
}
