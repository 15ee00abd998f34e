import type { CertificateFacts } from '../agent/certificate-facts.js';
import { describeExpiry, issuerName } from './describe-certificate.js';

/**
 * What an environment will serve on its hosts' front door, for `slipway plan`: its route and where its
 * certificates come from, the files' contents as read on the machine that plans.
 */
export interface FrontDoorPlanView {
  hosts: string[];
  names: string[];
  pathPrefix: string;
  httpPort: number;
  httpsPort: number;
  bindAddress: string;
  tls:
    | { kind: 'none' }
    | {
        kind: 'files';
        certificates: Array<{
          certFile: string;
          keyFile: string;
          facts: CertificateFacts | { error: string };
        }>;
      }
    | { kind: 'acme'; directory: string; email: string };
}

/** The plan's front door lines: the route, then one line per certificate (or where it will come from). Pure. */
export function describeFrontDoorPlan(door: FrontDoorPlanView, nowMs: number): string[] {
  const prefix = door.pathPrefix === '/' ? '' : door.pathPrefix;
  const lines = [
    `Front door on ${door.hosts.join(', ')} (${door.bindAddress}): ${door.names.map((n) => `${n}${prefix}`).join(', ')} on HTTP :${door.httpPort}` +
      (door.tls.kind === 'none' ? '' : ` and HTTPS :${door.httpsPort}`),
  ];
  switch (door.tls.kind) {
    case 'none':
      lines.push(`  no tls: plain HTTP (HTTPS :${door.httpsPort} has no certificate for these names)`);
      break;
    case 'acme':
      lines.push(
        `  certificate obtained from ${door.tls.directory} (ACME, account ${door.tls.email}) for ${door.names.join(', ')}`,
      );
      break;
    case 'files':
      for (const c of door.tls.certificates) {
        const what =
          'error' in c.facts
            ? c.facts.error
            : `${c.facts.names.join(', ') || 'no DNS name'}, issuer ${issuerName(c.facts.issuer)}, ${describeExpiry(c.facts.notAfter, nowMs)}`;
        lines.push(`  certificate ${c.certFile} (key ${c.keyFile}): ${what}`);
      }
  }
  return lines;
}
