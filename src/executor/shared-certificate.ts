import { join } from 'node:path';
import type { FrontDoorRouteSpec } from '../agent/protocol.js';
import { createAcmeIssuer, type RevocationReason } from '../certificates/acme-issuer.js';
import {
  accountDirName,
  certificateIdOf,
  readCertificate,
  type StoredCertificate,
} from '../certificates/certificate-files.js';
import { createCertificateManager } from '../certificates/certificate-manager.js';
import { isServable } from '../certificates/renewal.js';
import { SlipwayError } from '../core/errors.js';
import type { ObtainCertificateStep, PlannedFrontDoor } from '../plan/steps.js';
import { readFrontDoorSpec } from './front-door-certificates.js';
import { agentOf } from './host-agent.js';
import type { StepContext, StepResult } from './step-context.js';

// A certificate shared by a fleet without an edge (`tls.acme` on several hosts): the control plane runs the ACME
// order, every host's front door answers its HTTP-01 challenges (whichever host the CA reaches), and the
// certificate is kept here (0600 under the state directory, with the account key) and sent to every host over
// the agent's channel, as certificate files are. The router processes serve it and never order one themselves.

/** Where the account and certificates for this CA and contact are kept, under the control plane's state. */
function accountDir(
  ctx: Pick<StepContext, 'certificates'>,
  acme: NonNullable<PlannedFrontDoor['acme']>,
): string {
  if (ctx.certificates === undefined) {
    throw new SlipwayError(
      'this step needs the control plane’s certificate directory, which this run does not have',
    );
  }
  return join(ctx.certificates.dir, accountDirName(acme.directoryUrl, acme.email));
}

/** The stored certificate while it is good for exactly these names (not revoked, not expired). */
async function storedGood(dir: string, routeKey: string, names: readonly string[], nowMs: number) {
  const stored = await readCertificate(dir, certificateIdOf(routeKey)).catch(() => null);
  return stored !== null && isServable(stored, names, nowMs) ? stored : null;
}

function withCertificate(spec: FrontDoorRouteSpec, cert: StoredCertificate | null): FrontDoorRouteSpec {
  return { ...spec, certificates: cert === null ? [] : [{ cert: cert.certificate, key: cert.key }] };
}

/**
 * The spec `ensure-route` sends for a shared certificate: the one stored here while it is good (else none yet:
 * the names are served over plain HTTP until the `obtain-certificate` step sends one). Other specs unchanged.
 */
export async function withSharedCertificate(
  ctx: Pick<StepContext, 'certificates' | 'clock'>,
  routeKey: string,
  door: PlannedFrontDoor,
  spec: FrontDoorRouteSpec,
): Promise<FrontDoorRouteSpec> {
  if (!door.acme?.shared) return spec;
  return withCertificate(
    spec,
    await storedGood(accountDir(ctx, door.acme), routeKey, door.names, ctx.clock.nowMs()),
  );
}

/** What `provideSharedCertificate` did: the certificate before and the one the hosts serve now. */
export interface SharedCertificateResult {
  previous: { serial: string; notAfter: string; issuer: string } | null;
  current: { serial: string; notAfter: string; issuer: string };
  names: string[];
  revoked: boolean;
}

/** The `obtain-certificate` step: obtained (or renewed) when needed, then sent to every host. */
export async function obtainSharedCertificate(
  step: ObtainCertificateStep,
  ctx: StepContext,
): Promise<StepResult> {
  const result = await provideSharedCertificate(step, ctx, { renew: 'when-needed' });
  const obtained = result.previous?.serial !== result.current.serial;
  return {
    detail: `${obtained ? 'obtained' : 'kept'} ${result.current.serial} (valid until ${result.current.notAfter.slice(0, 10)}), served by ${step.hosts.length} hosts`,
  };
}

/**
 * The fleet's certificate: the stored one while good (`when-needed`; else obtained), a new one now (`now`, an
 * operator's `certificates renew`), or the stored one revoked at the CA and replaced (`{ revoke }`); then sent to
 * every host. The CA's HTTP-01 challenges are answered by every host's front door. Ledgered through `ctx.ledger`.
 */
export async function provideSharedCertificate(
  step: ObtainCertificateStep,
  ctx: Pick<StepContext, 'hosts' | 'clock' | 'certificates' | 'ledger'>,
  how: { renew: 'when-needed' | 'now' } | { revoke: RevocationReason },
): Promise<SharedCertificateResult> {
  const door = step.frontDoor;
  const read = await readFrontDoorSpec(door); // the CA bundle and any files, read once
  const acme = read.acme ?? null;
  if (door.acme === undefined || acme === null) throw new SlipwayError('obtain-certificate without tls.acme');
  const dir = accountDir(ctx, door.acme);
  const agents = await Promise.all(step.hosts.map((h) => agentOf(ctx, h)));
  const onEveryHost = async (token: string, keyAuthorization: string | null): Promise<void> => {
    await Promise.all(agents.map((a) => a.call('acmeChallenge', { token, keyAuthorization })));
  };
  const issuer = createAcmeIssuer({
    ca: {
      directory: acme.directoryUrl,
      ...(acme.email === undefined ? {} : { email: acme.email }),
      ...(acme.caBundle === undefined ? {} : { caBundle: acme.caBundle }),
    },
    accountDir: dir,
    http01: { set: (token, ka) => onEveryHost(token, ka), remove: (token) => onEveryHost(token, null) },
    challenges: ['http-01'],
  });
  const manager = createCertificateManager({ dir, issuer, clock: ctx.clock });
  const id = certificateIdOf(step.app);
  const before = await readCertificate(dir, id).catch(() => null);
  let cert: StoredCertificate;
  try {
    // `when-needed` obtains when none is stored, or it is revoked, for other names, expired or due.
    cert =
      'revoke' in how
        ? await manager.revokeAndReplace(id, how.revoke)
        : how.renew === 'now'
          ? await manager.renewNow(id, door.names)
          : await manager.ensure(id, door.names);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    await ctx.ledger?.({
      kind: 'certificate.failed',
      message: `certificate for ${door.names.join(', ')} could not be obtained from ${acme.directoryUrl}: ${reason}`,
      data: { names: door.names, hosts: step.hosts },
    });
    throw new SlipwayError(
      `no certificate for ${door.names.join(', ')} from ${acme.directoryUrl}: ${reason}`,
      {
        hint: `the CA must reach the front door of one of ${step.hosts.join(', ')} under each name on port 80 (here :${door.httpPort}): check the names' DNS records and the firewall`,
      },
    );
  } finally {
    manager.stop();
  }
  const spec = withCertificate(read, cert);
  await Promise.all(
    agents.map((a) =>
      a.call('ensureRoute', {
        app: step.app,
        publicPort: step.publicPort,
        bindAddress: step.bindAddress,
        metricsPort: step.metricsPort,
        frontDoor: spec,
      }),
    ),
  );
  const revoked = 'revoke' in how;
  if (before?.serial !== cert.serial) {
    await ctx.ledger?.({
      kind: 'certificate.issued',
      message: `certificate ${cert.serial} for ${cert.names.join(', ')} from ${cert.issuer}, valid until ${cert.notAfter}, obtained by the control plane for ${step.hosts.join(', ')}${revoked && before ? ` in place of ${before.serial}, revoked` : ''}`,
      data: { names: cert.names, issuer: cert.issuer, serial: cert.serial, notAfter: cert.notAfter },
    });
  }
  const summary = (c: StoredCertificate) => ({ serial: c.serial, notAfter: c.notAfter, issuer: c.issuer });
  return { previous: before && summary(before), current: summary(cert), names: cert.names, revoked };
}
